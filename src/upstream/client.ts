// The one place that talks to HighLevel: `GET /conversations/{conversationId}` over got.
//
// One got instance and one keep-alive agent per client, built once at start-up: creating them per
// request would cost a TLS handshake per call and defeat connection reuse. got never throws on HTTP
// statuses (error-mapping.ts maps them) and retries by the rules of retry-policy.ts. Around each call:
// a circuit breaker (cockatiel) that fails fast while HighLevel is down, and the per-token rate
// limiter that paces calls under HighLevel's burst limit.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Tracer } from '@opentelemetry/api';
import got, { type Got, type RequestError } from 'got';
import { type ConversationServiceError, DeadlineExceededError, RateLimitedError, UpstreamInvalidResponseError } from '../errors.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../service-info.js';
import { type ConversationRecord, parseConversationBody } from './conversation-record.js';
import { assertValidConversationId, conversationPath } from './conversation-id.js';
import { errorFromRequestFailure, errorFromStatus, invalidResponse, parseJsonObject, type UpstreamAnswer } from './error-mapping.js';
import { endSpan, startUpstreamSpan } from '../observability/tracing.js';
import { UpstreamCircuitBreaker } from './circuit-breaker.js';
import { type RateLimitState, readRateLimitHeaders, retryAfterMsOf429, scopeOf429 } from './rate-limit-headers.js';
import { RateLimiter } from './rate-limiter.js';
import { type CallContext, retryOptions } from './retry-policy.js';
import { scrubberFor } from './secret-scrubber.js';

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
  /** Burst limit and window assumed per token until HighLevel's headers say otherwise. */
  burstLimit: number;
  burstIntervalMs: number;
  /** Bodies larger than this are cut off and refused. */
  maxResponseBytes: number;
  /** Consecutive failures that open the breaker, and how long it then stays open. */
  circuitBreakerThreshold: number;
  circuitBreakerCooldownMs: number;
  /** Most sockets kept open to HighLevel at once; further requests queue in the agent. */
  maxSockets?: number;
  /** OpenTelemetry tracer: one span per call, whose traceparent is sent upstream. */
  tracer?: Tracer | undefined;
  /** Concurrent reads of the same id with the same token share one upstream call. */
  coalesce?: boolean;
}

/** What one call carries from the GraphQL request that makes it. */
export interface CallOptions {
  /** Epoch ms by which the operation needs an answer; queueing and retries stop there. */
  deadline: number;
  /** Incremented for every request really sent. */
  attempts?: { count: number };
  /** Sent upstream as `x-request-id`, so HighLevel-side logs can be joined with ours. */
  requestId?: string;
  /** The operation's trace context, parent of the call's span. */
  traceContext?: Context | undefined;
  /**
   * `RateLimiter.keyFor(authorization)`, when the caller has it already: the loader computes it once
   * per request instead of hashing the token again for every call. Computed here when absent. It must
   * be the key of this very `authorization`: the rate limiter and in-flight coalescing key on it, so
   * another token's key would pace, and share results, across tokens.
   */
  limiterKey?: string;
}

/** Called after every upstream call and retry, for logs and metrics. Never receives the token. */
export type UpstreamObserver = (event: UpstreamEvent) => void;
export type UpstreamEvent =
  /** A call that failed in the end (after retries). */
  | {
      kind: 'failure';
      conversationId: string;
      requestId: string | undefined;
      durationMs: number;
      status?: number;
      error: ConversationServiceError;
    }
  /**
   * One request sent: its HTTP status, or the failure kind when none came back; for an answer, also what
   * its X-RateLimit-* headers said of the token (under its limiter key).
   */
  | { kind: 'attempt'; outcome: string; durationMs: number | undefined; rateLimit?: { limiterKey: string; state: RateLimitState } }
  | { kind: 'retry'; conversationId: string; requestId: string | undefined; attempt: number; reason: string }
  | { kind: 'breaker'; state: 'closed' | 'open' | 'half-open' }
  /** A lookup joined a call already in flight for the same token and id. */
  | { kind: 'coalesced' };

export const USER_AGENT = `${SERVICE_NAME}/${SERVICE_VERSION} node/${process.versions.node}`;

/**
 * Errors that say HighLevel itself is unwell; only these count towards opening the breaker. Running
 * out of the operation's own time is not HighLevel's fault.
 */
function isOutage(error: unknown): boolean {
  if (error instanceof DeadlineExceededError) return false;
  const code = (error as ConversationServiceError).extensions?.code;
  if (code === 'UPSTREAM_TIMEOUT' || code === 'UPSTREAM_UNREACHABLE') return true;
  const status = (error as ConversationServiceError).extensions?.upstream as { status?: number } | undefined;
  return code === 'UPSTREAM_ERROR' && (status?.status ?? 0) >= 500;
}

export class HighLevelClient {
  readonly #got: Got;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #options: HighLevelClientOptions;
  readonly #limiter: RateLimiter;
  readonly #breaker: UpstreamCircuitBreaker;
  readonly #observer: UpstreamObserver | undefined;
  readonly #tracer: Tracer | undefined;
  /** Calls in flight, by token digest and id, for coalescing. */
  readonly #inFlight = new Map<string, Promise<ConversationRecord>>();

  constructor(options: HighLevelClientOptions, observer?: UpstreamObserver) {
    // Generous: the rate limiter assumes a call starts at its reserved time, and calls queued in the
    // agent behind another token's slow ones would not. Concurrency is bounded per operation instead.
    const maxSockets = options.maxSockets ?? 512;
    this.#options = options;
    this.#observer = observer;
    this.#tracer = options.tracer;
    // maxFreeSockets = maxSockets: with Node's default (256) a fan-out burst that opened more sockets
    // closed the extra ones once idle and reopened them on the next burst (bench: 560-1,226 new
    // sockets per phase in steady state).
    const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets };
    this.#agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
    this.#limiter = new RateLimiter({ max: options.burstLimit, intervalMs: options.burstIntervalMs });
    this.#breaker = new UpstreamCircuitBreaker({
      threshold: options.circuitBreakerThreshold,
      cooldownMs: options.circuitBreakerCooldownMs,
      isOutage,
      onStateChange: (state) => this.#observer?.({ kind: 'breaker', state }),
    });
    const limiter = this.#limiter;
    this.#got = got.extend({
      prefixUrl: `${options.baseUrl.replace(/\/+$/, '')}/`,
      headers: {
        version: options.apiVersion,
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      agent: this.#agents,
      timeout: { request: options.timeoutMs },
      retry: retryOptions({ maxAttempts: options.maxAttempts, baseDelayMs: options.retryBaseDelayMs, limiter }),
      hooks: {
        // Runs before every attempt, retries included: the count of requests really sent.
        beforeRequest: [
          (requestOptions) => {
            (requestOptions.context as unknown as CallContext).attempts.count += 1;
          },
        ],
        beforeRetry: [
          (error, retryCount) => {
            const { conversationId, requestId } = error.options.context as unknown as CallContext;
            // A retried attempt without an answer is counted here; answered ones are counted by afterResponse.
            if (!error.response) observer?.({ kind: 'attempt', outcome: failureKind(error), durationMs: error.timings?.phases.total });
            const reason = error.response ? String(error.response.statusCode) : (error.code ?? 'error');
            observer?.({ kind: 'retry', conversationId, requestId, attempt: retryCount, reason });
          },
        ],
        // Every answer, retried ones included, tells the limiter where this token stands; a 429 holds
        // every call of the token for its wait, whether or not this call is retried.
        afterResponse: [
          (response) => {
            const { limiterKey } = response.request.options.context as unknown as CallContext;
            const state = readRateLimitHeaders(response.headers);
            limiter.observe(limiterKey, state);
            observer?.({ kind: 'attempt', outcome: String(response.statusCode), durationMs: response.timings?.phases.total, rateLimit: { limiterKey, state } });
            if (response.statusCode === 429) {
              limiter.block(limiterKey, Date.now() + retryAfterMsOf429(response.headers), scopeOf429(response.headers));
            }
            return response;
          },
        ],
      },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'text',
    });
  }

  /**
   * Reads one conversation with the caller's `Authorization` value (sent as given).
   * @param call `deadline`: epoch ms by which the operation needs an answer (queueing and retries stop
   *   there); `attempts`: incremented for every request really sent.
   * @throws ConversationServiceError with the code for what went wrong; never anything else.
   */
  getConversation(conversationId: string, authorization: string, call: CallOptions): Promise<ConversationRecord> {
    // Not an async function (a joiner must get the very promise in flight), so a bad id is turned into
    // a rejection here rather than thrown at the caller.
    try {
      assertValidConversationId(conversationId);
    } catch (error) {
      return Promise.reject(error);
    }
    const limiterKey = call.limiterKey ?? RateLimiter.keyFor(authorization);
    if (!this.#options.coalesce) return this.#read(conversationId, authorization, limiterKey, call);
    // In-flight coalescing across operations: a lookup of an id that the same token (the same
    // Authorization value, so the same location's view) is already reading joins that call instead
    // of making another. Keyed by the token's digest: never shared between tokens. A joiner waits for
    // the first caller's call, which runs under the first caller's deadline.
    const key = `${limiterKey}\u0000${conversationId}`;
    const inFlight = this.#inFlight.get(key);
    if (inFlight) {
      this.#observer?.({ kind: 'coalesced' });
      return inFlight;
    }
    const read = this.#read(conversationId, authorization, limiterKey, call).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, read);
    return read;
  }

  async #read(conversationId: string, authorization: string, limiterKey: string, call: CallOptions): Promise<ConversationRecord> {
    // Refused by the breaker anyway: spend no rate-limit slot on it. The usual case, a slot free right
    // away, costs no await.
    if (!this.#breaker.refusing) {
      const wait = this.#reserveSlot(limiterKey, call.deadline);
      if (wait !== undefined) await this.#waitForSlot(limiterKey, call.deadline, wait);
    }
    const context: CallContext = {
      conversationId,
      requestId: call.requestId,
      limiterKey,
      deadline: call.deadline,
      attempts: call.attempts ?? { count: 0 },
      headers: call.requestId ? { 'x-request-id': call.requestId } : {},
    };
    if (!this.#tracer || !call.traceContext) return this.#breaker.run(() => this.#call(conversationId, authorization, context));
    const { span, headers } = startUpstreamSpan(this.#tracer, call.traceContext, conversationId);
    Object.assign(context.headers, headers);
    try {
      const record = await this.#breaker.run(() => this.#call(conversationId, authorization, context));
      endSpan(span, { status: 200 });
      return record;
    } catch (error) {
      const failure = error as ConversationServiceError;
      const upstream = failure.extensions?.upstream as { status?: number } | undefined;
      endSpan(span, { ...(upstream?.status !== undefined ? { status: upstream.status } : {}), errorCode: String(failure.extensions?.code) });
      throw error;
    }
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /**
   * Reserves the token's earliest start under HighLevel's burst limit.
   * @returns undefined when the call may start now, else the reserved start to wait for.
   * @throws DeadlineExceededError when the deadline has already passed, RateLimitedError (no call made)
   *   when the token's next free slot lies after it.
   */
  #reserveSlot(limiterKey: string, deadline: number): number | undefined {
    const now = Date.now();
    if (now >= deadline) throw new DeadlineExceededError("The operation's deadline passed before HighLevel could be called");
    const start = this.#limiter.reserve(limiterKey, now, deadline);
    if (start === undefined) {
      const retryAfter = Math.max(1, Math.ceil((this.#limiter.earliestStart(limiterKey, now) - now) / 1000));
      const { scope } = this.#limiter.blocked(limiterKey);
      throw new RateLimitedError(
        scope === 'daily'
          ? "HighLevel's daily quota for this token is used up"
          : "HighLevel's burst limit for this token is used up until after this operation's deadline",
        { retryAfter, scope },
      );
    }
    return start > now ? start : undefined;
  }

  /**
   * Sleeps until the reserved start; a 429 that arrived meanwhile holds this call too, so the slot is
   * given back and the call queues again (a slot free at once means no 429 holds the token any more).
   */
  async #waitForSlot(limiterKey: string, deadline: number, reserved: number): Promise<void> {
    for (let start: number | undefined = reserved; start !== undefined; start = this.#reserveSlot(limiterKey, deadline)) {
      await sleep(Math.max(0, start - Date.now()));
      if (this.#limiter.blocked(limiterKey).until <= Date.now()) return;
      this.#limiter.release(limiterKey, start);
    }
  }

  /**
   * One call, with got's retries, and what its last answer means.
   * @throws ConversationServiceError for a failure (mapped), a non-2xx answer, or a 2xx that is not a conversation.
   */
  async #call(conversationId: string, authorization: string, context: CallContext): Promise<ConversationRecord> {
    const started = performance.now();
    const { maxResponseBytes, timeoutMs } = this.#options;
    // Two reasons to abort: the operation's deadline, and a body that is too large. One controller and
    // one timer, cleared when the call ends, so nothing outlives the call.
    const abort = new AbortController();
    let tooLarge = false;
    const deadlineTimer = setTimeout(() => abort.abort(), Math.max(1, context.deadline - Date.now()));
    let answer: UpstreamAnswer;
    try {
      const request = this.#got.get(conversationPath(conversationId), {
        headers: { ...context.headers, authorization },
        context: context as unknown as Record<string, unknown>,
        signal: abort.signal,
      });
      // Cut a body off as soon as it is known to be too large (by Content-Length or by what arrived).
      request.on('downloadProgress', ({ transferred, total }) => {
        if (!tooLarge && (transferred > maxResponseBytes || (total ?? 0) > maxResponseBytes)) {
          tooLarge = true;
          abort.abort();
        }
      });
      const response = await request;
      answer = { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (error) {
      const requestError = error as RequestError;
      let mapped: ConversationServiceError;
      if (tooLarge) {
        this.#observer?.({ kind: 'attempt', outcome: 'too_large', durationMs: requestError.timings?.phases.total });
        mapped = new UpstreamInvalidResponseError(`HighLevel's answer is larger than ${maxResponseBytes} bytes; it was cut off`);
      } else {
        const deadlinePassed = Date.now() >= context.deadline - 5;
        this.#observer?.({ kind: 'attempt', outcome: deadlinePassed ? 'aborted' : failureKind(requestError), durationMs: requestError.timings?.phases.total });
        mapped = errorFromRequestFailure(error, { timeoutMs, deadlinePassed });
      }
      this.#observer?.({ kind: 'failure', conversationId, requestId: context.requestId, durationMs: performance.now() - started, error: mapped });
      throw mapped;
    } finally {
      clearTimeout(deadlineTimer);
    }
    const outcome = interpret(answer, conversationId, authorization);
    if (!outcome.ok) {
      this.#observer?.({
        kind: 'failure',
        conversationId,
        requestId: context.requestId,
        durationMs: performance.now() - started,
        status: answer.status,
        error: outcome.error,
      });
      throw outcome.error;
    }
    return outcome.record;
  }
}

/** The failure kind of an attempt that got no answer, as a metrics label. */
function failureKind(error: RequestError): string {
  if (error.name === 'TimeoutError') return 'timeout';
  if (error.name === 'AbortError' || error.code === 'ERR_ABORTED') return 'aborted';
  return 'unreachable';
}

type Outcome = { ok: true; record: ConversationRecord } | { ok: false; error: ConversationServiceError };

/** What an answer means. The scrubber is built only on the (rare) failure paths. */
function interpret(answer: UpstreamAnswer, conversationId: string, authorization: string): Outcome {
  if (answer.status < 200 || answer.status > 299) {
    return { ok: false, error: errorFromStatus(answer, conversationId, scrubberFor(authorization)) };
  }
  const body = parseJsonObject(answer.body);
  if (body === undefined) {
    return { ok: false, error: invalidResponse('the body is not a JSON object', answer, scrubberFor(authorization)) };
  }
  const parsed = parseConversationBody(body);
  return parsed.ok ? parsed : { ok: false, error: invalidResponse(parsed.problem, answer, scrubberFor(authorization)) };
}
