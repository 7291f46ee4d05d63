// The upstream client: builds the pipeline's parts once, at start-up, and hands out one handle per
// caller. A handle is the only way to make a call: it carries the caller's Authorization value with
// its digest, computed once, so budgets and coalescing can never be keyed by another token's digest.
import { createHash } from 'node:crypto';
import { SERVICE_NAME, SERVICE_VERSION } from '../service-info.js';
import { BudgetKeys } from './budgets.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { InFlightCalls } from './coalescing.js';
import type { ConversationRecord } from './conversation-record.js';
import type { UpstreamObserver, UpstreamTracer } from './events.js';
import { Pacer } from './pacing.js';
import { type CallOptions, ConversationPipeline } from './pipeline.js';
import { RateLimiter } from './rate-limiter.js';
import { RetryPolicy } from './retry-policy.js';
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

  constructor(options: HighLevelClientOptions, hooks: { observer?: UpstreamObserver | undefined; tracer?: UpstreamTracer | undefined } = {}) {
    const { observer, tracer } = hooks;
    this.#transport = new Transport({
      baseUrl: options.baseUrl,
      headers: { version: options.apiVersion, accept: 'application/json', 'user-agent': USER_AGENT },
      attemptTimeoutMs: options.timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
      ...(options.connections !== undefined ? { connections: options.connections } : {}),
    });
    this.#pipeline = new ConversationPipeline({
      transport: this.#transport,
      pacer: new Pacer(new RateLimiter({ max: options.burstLimit, intervalMs: options.burstIntervalMs })),
      budgets: new BudgetKeys(),
      breaker: new CircuitBreaker({ ...options.breaker, onStateChange: (change) => observer?.({ kind: 'breaker', ...change }) }),
      retry: new RetryPolicy({ maxAttempts: options.maxAttempts, baseDelayMs: options.retryBaseDelayMs }),
      inFlight: options.coalesce ? new InFlightCalls<ConversationRecord>() : undefined,
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

  /** Closes upstream sockets so the process can exit. */
  close(): Promise<void> {
    return this.#transport.close();
  }
}
