// Waiting for a start under a budget: the rate limiter's reservations turned into sleeps, with the
// rule that a 429 arriving while a call waits holds that call too.
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineExceededError, RateLimitedError } from '../errors.js';
import type { RateLimiter } from './rate-limiter.js';

export class Pacer {
  constructor(readonly limiter: RateLimiter) {}

  /**
   * Waits for the budget's earliest start (a first attempt). The usual case, a start free at once,
   * costs no await.
   * @throws DeadlineExceededError when the deadline has passed, RateLimitedError (no call made) when the
   *   budget's next free start lies after it.
   */
  acquire(budget: string, deadline: number): Promise<void> | undefined {
    const now = Date.now();
    if (now >= deadline) throw new DeadlineExceededError("The operation's deadline passed before HighLevel could be called");
    const start = this.limiter.reserve(budget, now, deadline);
    if (start === undefined) throw this.#rateLimited(budget, now);
    if (start <= now) return undefined;
    return this.#waitFor(budget, deadline, start).then((held) => {
      if (!held) throw this.#rateLimited(budget, Date.now());
    });
  }

  /**
   * Reserves and waits for a retry's start, `delayMs` from now at the earliest.
   * @returns false when no start before the deadline is left (then nothing is reserved).
   */
  async retryAfter(budget: string, deadline: number, delayMs: number): Promise<boolean> {
    const start = this.limiter.reserve(budget, Date.now() + delayMs, deadline);
    return start === undefined ? false : this.#waitFor(budget, deadline, start);
  }

  /**
   * Sleeps until the reserved start; a 429 that arrived meanwhile holds this call too, so the slot is
   * given back and the call queues again (a slot free at once means no 429 holds the budget any more).
   */
  async #waitFor(budget: string, deadline: number, reserved: number): Promise<boolean> {
    for (let start: number | undefined = reserved; start !== undefined; start = this.limiter.reserve(budget, Date.now(), deadline)) {
      await sleep(Math.max(0, start - Date.now()));
      if (this.limiter.blocked(budget).until <= Date.now()) return true;
      this.limiter.release(budget, start);
    }
    return false;
  }

  #rateLimited(budget: string, now: number): RateLimitedError {
    const retryAfter = Math.max(1, Math.ceil((this.limiter.earliestStart(budget, now) - now) / 1000));
    const { scope } = this.limiter.blocked(budget);
    return new RateLimitedError(
      scope === 'daily'
        ? "HighLevel's daily quota for this location is used up"
        : "HighLevel's burst limit for this location is used up until after this operation's deadline",
      { retryAfter, scope },
    );
  }
}
