// What one attempt means, worked out once: the record or the typed error, what its X-RateLimit-*
// headers say, whether it holds the budget (a 429), and what the retry decision needs.
import { type ConversationServiceError, DeadlineExceededError, type RateLimitScope } from '../errors.js';
import { type ConversationRecord, parseConversationBody } from './conversation-record.js';
import { errorFromFailure, errorFromStatus, invalidResponse, parseJsonObject } from './error-mapping.js';
import { type RateLimitState, limitOf429, readRateLimitHeaders } from './rate-limit-headers.js';
import type { FailedAttempt } from './retry-policy.js';
import { scrubberFor } from './secret-scrubber.js';
import type { AttemptResult } from './transport.js';
import type { CallOutcome } from './circuit-breaker.js';

export type Interpretation =
  | { ok: true; record: ConversationRecord; rateLimit: RateLimitState }
  | {
      ok: false;
      error: ConversationServiceError;
      /** HighLevel's status, when it answered. */
      status?: number;
      rateLimit?: RateLimitState;
      /** A 429: the budget is held until then. */
      hold?: { until: number; scope: RateLimitScope };
      failed: FailedAttempt;
    };

export interface InterpretOptions {
  conversationId: string;
  /** Only for scrubbing what HighLevel says; the scrubber is built on failure paths only. */
  authorization: string;
  timeoutMs: number;
  maxResponseBytes: number;
}

export function interpret(result: AttemptResult, { conversationId, authorization, timeoutMs, maxResponseBytes }: InterpretOptions): Interpretation {
  if (result.kind === 'failure') {
    return { ok: false, error: errorFromFailure(result, { timeoutMs, maxResponseBytes }), failed: { kind: 'failure', code: result.code } };
  }
  const rateLimit = readRateLimitHeaders(result.headers);
  const { status } = result;
  if (status < 200 || status > 299) {
    if (status === 429) {
      const limit = limitOf429(result.headers, rateLimit);
      return {
        ok: false,
        error: errorFromStatus(result, conversationId, scrubberFor(authorization), limit),
        status,
        rateLimit,
        hold: { until: Date.now() + limit.retryAfterMs, scope: limit.scope },
        failed: { kind: 'status', status, scope: limit.scope, retryAfterMs: limit.retryAfterMs },
      };
    }
    const error = errorFromStatus({ ...result, sentAuthorization: authorization }, conversationId, scrubberFor(authorization));
    return { ok: false, error, status, rateLimit, failed: { kind: 'status', status } };
  }
  const body = parseJsonObject(result.body);
  const parsed = body === undefined ? { ok: false as const, problem: 'the body is not a JSON object' } : parseConversationBody(body);
  if (parsed.ok) return { ok: true, record: parsed.record, rateLimit };
  return { ok: false, error: invalidResponse(parsed.problem, result, scrubberFor(authorization)), status, rateLimit, failed: { kind: 'status', status } };
}

/** How the circuit breaker counts a call that failed in the end. */
export function breakerOutcome(error: ConversationServiceError): CallOutcome {
  if (error instanceof DeadlineExceededError) return 'ignored';
  const code = error.extensions.code;
  if (code === 'UPSTREAM_TIMEOUT' || code === 'UPSTREAM_UNREACHABLE') return 'connection-outage';
  const upstream = error.extensions.upstream as { status?: number } | undefined;
  return code === 'UPSTREAM_ERROR' && (upstream?.status ?? 0) >= 500 ? 'outage' : 'answered';
}
