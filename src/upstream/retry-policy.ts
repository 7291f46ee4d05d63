// When a failed upstream attempt is tried again, and after how long. Plugged into got's own retry
// machinery (retry.calculateDelay), so got keeps doing the retrying; this decides.
//
// Retried: burst 429s, 502, 503, 504, and connections reset or refused (EPIPE too: a keep-alive socket
// the server closed under us). Never retried: a daily-quota 429 (pointless until the reset), 400, 401,
// 403, 404, 422, other statuses, timeouts. Waits: Retry-After when sent (a 429 without it waits one
// burst window), else exponential backoff with jitter. Every retry reserves its start in the rate
// limiter, and is dropped when that start would miss the operation's deadline: then got returns the
// last attempt's answer, which becomes the error with its code.
import type { RetryObject } from 'got';
import type { RateLimiter } from './rate-limiter.js';
import { retryAfterMsOf429, scopeOf429 } from './rate-limit-headers.js';

export const RETRIED_STATUS_CODES = [429, 502, 503, 504];
export const RETRIED_ERROR_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE'];

/** What got carries from the call to the retry decision (got's `context` option). */
export interface CallContext {
  /** The conversation this call reads, and the id of the request that makes it (for logs). */
  conversationId: string;
  requestId: string | undefined;
  /** Rate-limiter key of the caller's token. */
  limiterKey: string;
  /** Epoch ms after which the operation no longer waits. */
  deadline: number;
  /** Counts requests actually sent (first attempts and retries), for the operation's log line. */
  attempts: { count: number };
  /** Extra headers of this call: the request id, and the trace's `traceparent` when tracing. */
  headers: Record<string, string>;
}

export interface RetryPolicyOptions {
  maxAttempts: number;
  baseDelayMs: number;
  limiter: RateLimiter;
  now?: () => number;
  random?: () => number;
}

/** got `retry` options implementing the policy above. */
export function retryOptions({ maxAttempts, baseDelayMs, limiter, now = Date.now, random = Math.random }: RetryPolicyOptions) {
  return {
    limit: maxAttempts - 1,
    methods: ['GET' as const],
    statusCodes: RETRIED_STATUS_CODES,
    errorCodes: RETRIED_ERROR_CODES,
    // got drops retries whose Retry-After exceeds this; the deadline is the bound that matters here.
    maxRetryAfter: Number.MAX_SAFE_INTEGER,
    calculateDelay: ({ attemptCount, error, computedValue }: RetryObject): number => {
      // 0: got's own rules (attempt limit, method, status, error code) say no.
      if (computedValue === 0) return 0;
      const { limiterKey, deadline } = error.options.context as unknown as CallContext;
      const current = now();
      let wait: number;
      const response = error.response;
      if (response?.statusCode === 429) {
        if (scopeOf429(response.headers) === 'daily') return 0;
        // The client's afterResponse hook has already held every call of this token for the wait.
        wait = retryAfterMsOf429(response.headers, current);
      } else {
        wait = backoffMs(attemptCount, baseDelayMs, random);
      }
      const start = limiter.reserve(limiterKey, current + wait, deadline);
      return start === undefined ? 0 : Math.max(1, start - current);
    },
  };
}

/** Exponential backoff with "equal jitter": between half and all of base * 2^(attempt - 1), capped. */
export function backoffMs(attemptCount: number, baseDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(baseDelayMs * 2 ** (attemptCount - 1), baseDelayMs * 32);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
