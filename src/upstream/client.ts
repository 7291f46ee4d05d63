// The upstream client: builds the pipeline's parts once, at start-up, and hands out one handle per
// caller. A handle is the only way to make a call: it carries the caller's Authorization value with
// its digest, computed once, so budgets, coalescing and the cache can never be keyed by another token's
// digest. With a Redis connection, budgets and the cache are shared by every instance using that Redis.
import { createHash } from 'node:crypto';
import type { RedisConnection } from '../redis/connection.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../service-info.js';
import { BudgetKeys } from './budgets.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { InFlightCalls } from './coalescing.js';
import { type ConversationCache, LocalConversationCache } from './conversation-cache.js';
import type { ConversationRecord } from './conversation-record.js';
import type { UpstreamObserver, UpstreamTracer } from './events.js';
import { Pacer } from './pacing.js';
import { type CallOptions, ConversationPipeline } from './pipeline.js';
import { RateLimiter } from './rate-limiter.js';
import { RetryPolicy } from './retry-policy.js';
import { SharedConversationCache } from './shared-conversation-cache.js';
import { SharedRateLimiter } from './shared-rate-limiter.js';
import { Transport } from './transport.js';

export type { CallOptions } from './pipeline.js';

export interface HighLevelClientOptions {
  /** e.g. https://services.leadconnectorhq.com (no trailing slash needed). */
  baseUrl: string;
  /** Value of the `Version` header. */
  apiVersion: string;
  /** Bound on one attempt, connect to last byte. */
  timeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts: number;
  retryBaseDelayMs: number;
  /** Burst limit and window assumed per budget until HighLevel's headers say otherwise. */
  burstLimit: number;
  burstIntervalMs: number;
  /** Bodies larger than this are cut off and refused. */
  maxResponseBytes: number;
  /** The failure-rate circuit breaker (circuit-breaker.ts). */
  breaker: { failureRatio: number; windowMs: number; minCalls: number; minTenants: number; cooldownMs: number };
  /** Most connections kept open to HighLevel at once; further requests queue in the agent. */
  connections?: number;
  /** Concurrent reads of the same id with the same token share one upstream call. */
  coalesce: boolean;
  /** The private conversation cache: off when `ttlSeconds` is 0; `maxEntries` bounds it in process. */
  cache: { ttlSeconds: number; maxEntries: number };
}

export interface HighLevelClientHooks {
  observer?: UpstreamObserver | undefined;
  tracer?: UpstreamTracer | undefined;
  /** REDIS_URL's connection: budgets and the cache shared between instances. */
  redis?: RedisConnection | undefined;
}

/** One caller's way to HighLevel. */
export interface CallerHandle {
  /** SHA-256 of the Authorization value (base64url, 22 characters): never the token itself. */
  readonly digest: string;
  /** @throws ConversationServiceError with the code for what went wrong; never anything else. */
  getConversation(conversationId: string, call: CallOptions): Promise<ConversationRecord>;
}

const USER_AGENT = `${SERVICE_NAME}/${SERVICE_VERSION} node/${process.versions.node}`;

export class HighLevelClient {
  readonly #transport: Transport;
  readonly #pipeline: ConversationPipeline;
  readonly #cache: ConversationCache | undefined;
  readonly #observer: UpstreamObserver | undefined;

  constructor(options: HighLevelClientOptions, hooks: HighLevelClientHooks = {}) {
    const { observer, tracer, redis } = hooks;
    this.#observer = observer;
    const limits = { max: options.burstLimit, intervalMs: options.burstIntervalMs };
    const ttlMs = options.cache.ttlSeconds * 1000;
    if (ttlMs > 0) this.#cache = redis ? new SharedConversationCache(redis, { ttlMs }) : new LocalConversationCache({ ttlMs, maxEntries: options.cache.maxEntries });
    this.#transport = new Transport({
      baseUrl: options.baseUrl,
      headers: { version: options.apiVersion, accept: 'application/json', 'user-agent': USER_AGENT },
      attemptTimeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      ...(options.connections !== undefined ? { connections: options.connections } : {}),
    });
    this.#pipeline = new ConversationPipeline({
      transport: this.#transport,
      pacer: new Pacer(new RateLimiter(limits), redis ? new SharedRateLimiter(redis, limits) : undefined),
      budgets: new BudgetKeys(),
      breaker: new CircuitBreaker({ ...options.breaker, onStateChange: (change) => observer?.({ kind: 'breaker', ...change }) }),
      retry: new RetryPolicy({ maxAttempts: options.maxAttempts, baseDelayMs: options.retryBaseDelayMs }),
      inFlight: options.coalesce ? new InFlightCalls<ConversationRecord>() : undefined,
      cache: this.#cache,
      observer,
      tracer,
      timeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
    });
  }

  /** The handle of one Authorization value (sent to HighLevel as given). */
  forCaller(authorization: string): CallerHandle {
    const caller = { authorization, digest: createHash('sha256').update(authorization).digest('base64url').slice(0, 22) };
    const pipeline = this.#pipeline;
    return {
      digest: caller.digest,
      getConversation: (conversationId, call) => pipeline.read(caller, conversationId, call),
    };
  }

  /**
   * Makes every token's cached answer of this conversation stop counting (a change HighLevel told of).
   * @throws RedisUnavailableError when the cache is in Redis and Redis cannot be reached.
   */
  async invalidateConversation(conversationId: string): Promise<void> {
    if (!this.#cache) return;
    await this.#cache.invalidate(conversationId);
    this.#observer?.({ kind: 'cache-invalidated' });
  }

  /** Closes upstream sockets so the process can exit. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}
