// Which failed attempts are tried again, and after how long. Pure: the pipeline does the waiting.
//
// Retried: burst 429s, 502, 503, 504, and connections reset or refused (EPIPE too, and what the
// transport reports as ECONNRESET: a keep-alive socket the server closed under us). Never retried: a daily-quota 429
// (pointless until the reset), 400, 401, 403, 404, 422, other statuses, timeouts, a body over the limit.
// Waits: Retry-After when sent (a 429 without it waits one burst window), else exponential backoff with
// "equal jitter" (cockatiel's halfJitterGenerator: between half and all of base * 2^(retry - 1), capped
// at 32x). The pipeline then reserves the retry's start under the budget and drops the retry when that
// start would miss the operation's deadline.
import { ExponentialBackoff, halfJitterGenerator } from 'cockatiel';
import type { RateLimitScope } from '../errors.js';

const RETRIED_STATUS_CODES: ReadonlySet<number> = new Set([429, 502, 503, 504]);
const RETRIED_CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);

/** A failed attempt, as the retry decision needs it. */
export type FailedAttempt =
  | { kind: 'status'; status: number; scope?: RateLimitScope; retryAfterMs?: number }
  | { kind: 'failure'; code: string };

export class RetryPolicy {
  readonly #maxAttempts: number;
  readonly #backoff: ExponentialBackoff<number>;

  constructor({ maxAttempts, baseDelayMs }: { maxAttempts: number; baseDelayMs: number }) {
    this.#maxAttempts = maxAttempts;
    this.#backoff = new ExponentialBackoff({ generator: halfJitterGenerator, initialDelay: baseDelayMs, maxDelay: baseDelayMs * 32 });
  }

  /**
   * Milliseconds to wait before trying again, or undefined for no retry.
   * @param attempts attempts made so far, the failed one included (1 after the first).
   */
  delayAfter(failed: FailedAttempt, attempts: number): number | undefined {
    if (attempts >= this.#maxAttempts) return undefined;
    if (failed.kind === 'failure') return RETRIED_CONNECTION_CODES.has(failed.code) ? this.#backoffFor(attempts) : undefined;
    if (!RETRIED_STATUS_CODES.has(failed.status)) return undefined;
    if (failed.status === 429) return failed.scope === 'daily' ? undefined : failed.retryAfterMs;
    return this.#backoffFor(attempts);
  }

  /** The backoff before retry number `retry` (1-based). */
  #backoffFor(retry: number): number {
    let backoff = this.#backoff.next();
    for (let index = 1; index < retry; index += 1) backoff = backoff.next(undefined);
    return Math.max(1, backoff.duration);
  }
}
