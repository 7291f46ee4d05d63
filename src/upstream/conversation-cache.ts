// The private conversation cache (CONVERSATION_CACHE_TTL_SECONDS; off at 0): a successful answer kept
// per (token digest, conversation id) for the TTL, so that a read within it costs no upstream call and
// no budget. Never shared between tokens: a token only ever gets back what HighLevel gave that token.
// Errors are not kept.
//
// Invalidation is per conversation, for every token at once, without knowing which tokens hold it:
// each store carries the ticket its lookup was given, and an entry counts only when no invalidation of
// its conversation came after its ticket. So an answer fetched before an invalidation and stored after
// it never comes back (the webhook race). In Redis (shared-conversation-cache.ts) the ticket is a
// per-conversation generation; here, in process, a sequence number.
import { LRUCache } from 'lru-cache';
import type { ConversationRecord } from './conversation-record.js';

export type CacheLookup = { hit: true; record: ConversationRecord } | { hit: false; ticket: CacheTicket | undefined };
/** Given by a miss, handed back with the answer to store; undefined when it must not be stored. */
export type CacheTicket = string | number;

export interface ConversationCache {
  lookup(digest: string, conversationId: string): Promise<CacheLookup>;
  store(digest: string, conversationId: string, record: ConversationRecord, ticket: CacheTicket): Promise<void>;
  /** Every token's entry of this conversation stops counting. */
  invalidate(conversationId: string): Promise<void>;
}

/**
 * How long an invalidation is remembered beyond the TTL: the longest an answer fetched before it can
 * take to be stored (the longest operation deadline), so that it cannot be stored as fresh.
 */
export const INVALIDATION_MEMORY_MS = 600_000;

interface Entry {
  record: ConversationRecord;
  ticket: number;
}

export class LocalConversationCache implements ConversationCache {
  readonly #entries: LRUCache<string, Entry>;
  readonly #invalidated: LRUCache<string, number>;
  #sequence = 0;
  /** The latest invalidation forgotten to make room: entries older than it no longer count. */
  #forgotten = 0;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.#entries = new LRUCache({ max: options.maxEntries, ttl: options.ttlMs });
    this.#invalidated = new LRUCache({
      max: options.maxEntries,
      ttl: options.ttlMs + INVALIDATION_MEMORY_MS,
      dispose: (sequence, _id, reason) => {
        if (reason === 'evict') this.#forgotten = Math.max(this.#forgotten, sequence);
      },
    });
  }

  lookup(digest: string, conversationId: string): Promise<CacheLookup> {
    const entry = this.#entries.get(entryKey(digest, conversationId));
    if (entry && entry.ticket > this.#floor(conversationId)) return Promise.resolve({ hit: true, record: entry.record });
    this.#sequence += 1;
    return Promise.resolve({ hit: false, ticket: this.#sequence });
  }

  store(digest: string, conversationId: string, record: ConversationRecord, ticket: CacheTicket): Promise<void> {
    if (typeof ticket === 'number' && ticket > this.#floor(conversationId)) this.#entries.set(entryKey(digest, conversationId), { record, ticket });
    return Promise.resolve();
  }

  invalidate(conversationId: string): Promise<void> {
    this.#sequence += 1;
    this.#invalidated.set(conversationId, this.#sequence);
    return Promise.resolve();
  }

  #floor(conversationId: string): number {
    return Math.max(this.#invalidated.get(conversationId) ?? 0, this.#forgotten);
  }
}

function entryKey(digest: string, conversationId: string): string {
  return `${conversationId}\u0000${digest}`;
}
