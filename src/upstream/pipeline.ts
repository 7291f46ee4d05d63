// One upstream call, with every policy in the order it applies; each policy is its own module.
//
//   id check -> in-flight coalescing -> private cache -> budget key -> breaker gate -> pacing
//     -> transport attempt -> interpret the answer once -> retry decision (-> pacing -> attempt ...)
//     -> result (stored in the cache) and events
//
// Nothing here talks HTTP (transport.ts), counts rates (rate-limiter.ts, circuit-breaker.ts) or decides
// retries (retry-policy.ts); this file only composes them, so the order can be read in one screen.
import type { Context } from '@opentelemetry/api';
import { breakerOutcome, interpret, type Interpretation } from './answer.js';
import type { BudgetKeys } from './budgets.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { InFlightCalls } from './coalescing.js';
import type { ConversationCache } from './conversation-cache.js';
import { assertValidConversationId, conversationPath } from './conversation-id.js';
import type { ConversationRecord } from './conversation-record.js';
import type { CallSpan, UpstreamObserver, UpstreamTracer } from './events.js';
import type { Pacer, Slot } from './pacing.js';
import type { RetryPolicy } from './retry-policy.js';
import type { UpstreamTransport } from './transport.js';

/** What one call carries from the GraphQL request that makes it. */
export interface CallOptions {
  /** Epoch ms by which the operation needs an answer; queueing and retries stop there. */
  deadline: number;
  /** Incremented for every request really sent. */
  attempts?: { count: number };
  /** Incremented for every lookup the private cache answered. */
  cacheHits?: { count: number };
  /** Sent upstream as `x-request-id`, so HighLevel-side logs can be joined with ours. */
  requestId?: string;
  /** The operation's trace context, parent of the call's span. */
  traceContext?: Context | undefined;
}

/** The caller a call is made for: its Authorization value and that value's digest (computed once). */
export interface Caller {
  authorization: string;
  digest: string;
}

export interface PipelineParts {
  transport: UpstreamTransport;
  pacer: Pacer;
  budgets: BudgetKeys;
  breaker: CircuitBreaker;
  retry: RetryPolicy;
  /** undefined when HIGHLEVEL_COALESCE_INFLIGHT=false. */
  inFlight: InFlightCalls<ConversationRecord> | undefined;
  /** undefined when CONVERSATION_CACHE_TTL_SECONDS=0. */
  cache: ConversationCache | undefined;
  observer: UpstreamObserver | undefined;
  tracer: UpstreamTracer | undefined;
  timeoutMs: number;
  maxResponseBytes: number;
}

export class ConversationPipeline {
  constructor(private readonly parts: PipelineParts) {}

  /** @throws ConversationServiceError with the code for what went wrong; never anything else. */
  read(caller: Caller, conversationId: string, call: CallOptions): Promise<ConversationRecord> {
    // Not an async function (a joiner must get the very promise in flight), so a bad id is turned into
    // a rejection here rather than thrown at the caller.
    try {
      assertValidConversationId(conversationId);
    } catch (error) {
      return Promise.reject(error);
    }
    const { inFlight, observer } = this.parts;
    if (!inFlight) return this.#cached(caller, conversationId, call);
    return inFlight.join(`${caller.digest}\u0000${conversationId}`, () => this.#cached(caller, conversationId, call), () => observer?.({ kind: 'coalesced' }));
  }

  /** The token's cached answer when there is one; else the call, whose answer is then kept. */
  async #cached(caller: Caller, conversationId: string, call: CallOptions): Promise<ConversationRecord> {
    const { cache, observer } = this.parts;
    if (!cache) return this.#call(caller, conversationId, call);
    const found = await cache.lookup(caller.digest, conversationId);
    observer?.({ kind: 'cache', outcome: found.hit ? 'hit' : 'miss' });
    if (found.hit) {
      if (call.cacheHits) call.cacheHits.count += 1;
      return found.record;
    }
    const record = await this.#call(caller, conversationId, call);
    // Not awaited: the answer does not wait for the cache (a failed store only means a later miss).
    if (found.ticket !== undefined) void cache.store(caller.digest, conversationId, record, found.ticket).catch(() => undefined);
    return record;
  }

  async #call(caller: Caller, conversationId: string, call: CallOptions): Promise<ConversationRecord> {
    const { budgets } = this.parts;
    let budget = budgets.known(caller.digest);
    if (budget !== undefined) return this.#gated(caller, budget, conversationId, call);
    for (;;) {
      const first = budgets.firstCall(caller.digest);
      if ('settle' in first) {
        try {
          return await this.#gated(caller, first.budget, conversationId, call);
        } finally {
          first.settle();
        }
      }
      await first.wait;
      budget = budgets.known(caller.digest);
      if (budget !== undefined) return this.#gated(caller, budget, conversationId, call);
    }
  }

  /** Breaker gate and pacing, then the attempts. */
  async #gated(caller: Caller, budget: string, conversationId: string, call: CallOptions): Promise<ConversationRecord> {
    const { breaker, pacer, tracer } = this.parts;
    // Refused by the breaker anyway: spend no budget on it.
    const admission = breaker.admit(budget);
    let slot: Slot;
    try {
      slot = await pacer.acquire(budget, call.deadline);
    } catch (error) {
      breaker.record(admission, 'ignored');
      throw error;
    }
    const span = tracer && call.traceContext ? tracer.startCall(conversationId, call.traceContext) : undefined;
    const started = performance.now();
    const outcome = await this.#attempts(caller, slot, conversationId, call, span);
    if (outcome.ok) {
      breaker.record(admission, 'success');
      span?.end({ status: 200 });
      return outcome.record;
    }
    breaker.record(admission, breakerOutcome(outcome.error));
    span?.end({ ...(outcome.status !== undefined ? { status: outcome.status } : {}), errorCode: String(outcome.error.extensions.code) });
    this.parts.observer?.({
      kind: 'failure',
      conversationId,
      requestId: call.requestId,
      durationMs: performance.now() - started,
      ...(outcome.status !== undefined ? { status: outcome.status } : {}),
      error: outcome.error,
    });
    throw outcome.error;
  }

  /** The first attempt and its retries; the last attempt's interpretation. */
  async #attempts(caller: Caller, first: Slot, conversationId: string, call: CallOptions, span: CallSpan | undefined): Promise<Interpretation> {
    const { transport, pacer, budgets, retry, observer, timeoutMs, maxResponseBytes } = this.parts;
    const headers: Record<string, string> = { authorization: caller.authorization, ...span?.headers };
    if (call.requestId) headers['x-request-id'] = call.requestId;
    const path = conversationPath(conversationId);
    const { budget } = first;
    for (let attempt = 1, slot = first; ; attempt += 1) {
      if (call.attempts) call.attempts.count += 1;
      const result = await transport.get(path, headers, call.deadline);
      const outcome = interpret(result, { conversationId, authorization: caller.authorization, timeoutMs, maxResponseBytes });
      // Every answer, retried ones included, tells the budget where it stands; a 429 holds the budget
      // for its wait, whether or not this call is retried.
      pacer.answered(slot, outcome.rateLimit);
      if (!outcome.ok && outcome.hold) pacer.hold(budget, outcome.hold.until, outcome.hold.scope);
      observer?.({
        kind: 'attempt',
        outcome: result.kind === 'answer' ? String(result.status) : result.reason,
        durationMs: result.durationMs,
        ...(outcome.rateLimit ? { rateLimit: { budget, state: outcome.rateLimit } } : {}),
      });
      if (outcome.ok) {
        const moved = budgets.learn(caller.digest, outcome.record.locationId);
        if (moved) await pacer.adopt(moved.from, moved.to);
        return outcome;
      }
      const delay = retry.delayAfter(outcome.failed, attempt);
      const next = delay === undefined ? undefined : await pacer.retryAfter(budget, call.deadline, delay);
      if (!next) return outcome;
      slot = next;
      const reason = outcome.failed.kind === 'status' ? String(outcome.failed.status) : outcome.failed.code;
      observer?.({ kind: 'retry', conversationId, requestId: call.requestId, attempt, reason });
    }
  }
}
