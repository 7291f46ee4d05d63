// The private conversation cache in Redis, shared by every instance: what instance 1 fetched for a
// token, instance 2 serves to the same token within the TTL. Keys of one conversation share a hash
// tag, so one slot:
//
//   <prefix>{conversation:<id>}:generation   INCR'd by an invalidation (kept TTL + 10 min, see below)
//   <prefix>{conversation:<id>}:<digest>     "<generation>\n<record JSON>", expiring with the TTL
//
// A lookup reads both in one MGET; an entry counts when it was stored under the current generation.
// Invalidating a conversation for every token is one INCR, whatever the number of tokens. When Redis is
// unavailable the cache is bypassed: lookups miss without waiting and nothing is stored.
import type { RedisConnection } from '../redis/connection.js';
import { RedisUnavailableError } from '../redis/connection.js';
import { type CacheLookup, type CacheTicket, type ConversationCache, INVALIDATION_MEMORY_MS } from './conversation-cache.js';
import type { ConversationRecord } from './conversation-record.js';

export class SharedConversationCache implements ConversationCache {
  readonly #redis: RedisConnection;
  readonly #ttlMs: number;

  constructor(redis: RedisConnection, options: { ttlMs: number }) {
    this.#redis = redis;
    this.#ttlMs = options.ttlMs;
  }

  async lookup(digest: string, conversationId: string): Promise<CacheLookup> {
    if (!this.#redis.available) return { hit: false, ticket: undefined };
    const [generationKey, entryKey] = this.#keys(digest, conversationId);
    let generation: string | null | undefined;
    let entry: string | null | undefined;
    try {
      [generation, entry] = await this.#redis.run((client) => client.mget(generationKey, entryKey));
    } catch (error) {
      if (error instanceof RedisUnavailableError) return { hit: false, ticket: undefined };
      throw error;
    }
    const current = generation ?? '0';
    const newline = entry?.indexOf('\n') ?? -1;
    if (entry && newline > 0 && entry.slice(0, newline) === current) {
      try {
        return { hit: true, record: JSON.parse(entry.slice(newline + 1)) as ConversationRecord };
      } catch {
        // Not written by this service: treated as absent, and overwritten by the next store.
      }
    }
    return { hit: false, ticket: current };
  }

  async store(digest: string, conversationId: string, record: ConversationRecord, ticket: CacheTicket): Promise<void> {
    const [, entryKey] = this.#keys(digest, conversationId);
    await this.#redis.run((client) => client.set(entryKey, `${ticket}\n${JSON.stringify(record)}`, 'PX', this.#ttlMs)).catch(ignoreUnavailable);
  }

  async invalidate(conversationId: string): Promise<void> {
    const generationKey = this.#redis.key(`{conversation:${conversationId}}:generation`);
    // The generation outlives every entry stored under the one before it, so it cannot fall back to a
    // value an old entry carries.
    await this.#redis.run((client) => client.multi().incr(generationKey).pexpire(generationKey, this.#ttlMs + INVALIDATION_MEMORY_MS).exec());
  }

  #keys(digest: string, conversationId: string): [string, string] {
    const tag = `{conversation:${conversationId}}`;
    return [this.#redis.key(`${tag}:generation`), this.#redis.key(`${tag}:${digest}`)];
  }
}

function ignoreUnavailable(error: unknown): void {
  if (!(error instanceof RedisUnavailableError)) throw error;
}
