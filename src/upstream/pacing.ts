// Waiting for a start under a budget: the rate limiter's reservations turned into sleeps.
//
// A call that has to wait confirms its slot when it wakes (RateLimiter.confirm): meanwhile a 429 may have
// held the budget, or earlier calls may have been restamped to when their answers came back
// (RateLimiter.restamp), and either can move its start; then it sleeps again. A call free at once starts
// at once.
//
// Two limiters, one rule: with REDIS_URL the budgets are shared by every instance (shared-rate-limiter.ts)
// whenever Redis answers; otherwise, and whenever Redis does not, this process's own (rate-limiter.ts).
// What the answers teach (limits, corrections, holds) goes to both, so that the in-process limiter
// starts from what the shared one knew if Redis goes away.
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineExceededError, RateLimitedError, type RateLimitScope } from '../errors.js';
import { RedisUnavailableError } from '../redis/connection.js';
import type { RateLimiter } from './rate-limiter.js';
import type { RateLimitState } from './rate-limit-headers.js';
import type { SharedRateLimiter, SharedReservation } from './shared-rate-limiter.js';

/** A start a call holds: in this process's limiter, or (with `member`) in the shared one. */
export interface Slot {
  budget: string;
  start: number;
  member?: string;
}

type Refusal = { earliest: number; scope: RateLimitScope };


export class Pacer {
  constructor(
    readonly limiter: RateLimiter,
    private readonly shared?: SharedRateLimiter,
  ) {}

  /**
   * Waits for the budget's earliest start (a first attempt). The usual case without Redis, a start free
   * at once, costs no await.
   * @throws DeadlineExceededError when the deadline has passed, RateLimitedError (no call made) when the
   *   budget's next free start lies after it.
   */
  acquire(budget: string, deadline: number): Slot | Promise<Slot> {
    const now = Date.now();
    if (now >= deadline) throw new DeadlineExceededError("The operation's deadline passed before HighLevel could be called");
    if (this.shared?.available) return this.#acquireShared(this.shared, budget, deadline);
    return this.#acquireHere(budget, now, deadline);
  }

  /**
   * Reserves and waits for a retry's start, `delayMs` from now at the earliest.
   * @returns undefined when no start before the deadline is left (then nothing is reserved).
   */
  async retryAfter(budget: string, deadline: number, delayMs: number): Promise<Slot | undefined> {
    if (this.shared?.available) {
      try {
        const slot = await this.shared.reserve(budget, Date.now() + delayMs, deadline);
        if (!slot.reserved) return undefined;
        const waited = await this.#waitShared(this.shared, budget, deadline, slot);
        return 'earliest' in waited ? undefined : waited;
      } catch (error) {
        if (!(error instanceof RedisUnavailableError)) throw error;
      }
    }
    const start = this.limiter.reserve(budget, Date.now() + delayMs, deadline);
    return start === undefined ? undefined : this.#waitHere(budget, deadline, start);
  }

  /**
   * The slot's call has its answer: its start moves to now, the latest moment HighLevel can have counted
   * it (RateLimiter.restamp), and what the answer's X-RateLimit-* headers said is learned.
   */
  answered(slot: Slot, state: RateLimitState | undefined): void {
    const now = Date.now();
    if (slot.member === undefined) this.limiter.restamp(slot.budget, slot.start, now);
    if (state) this.limiter.observe(slot.budget, state);
    // A shared start is restamped in Redis with the headers, one script: always, as the start Redis
    // recorded is its own clock's, and this process may have begun the call well after it (a busy loop).
    if (this.shared?.available && (slot.member !== undefined || state)) this.shared.observe(slot.budget, state ?? {}, slot.member).catch(() => undefined);
  }

  /** After a 429: nothing starts for this budget before `until`. */
  hold(budget: string, until: number, scope: RateLimitScope): void {
    this.limiter.block(budget, until, scope);
    if (this.shared?.available) this.shared.hold(budget, until, scope).catch(() => undefined);
  }

  /**
   * A token's budget joins its location's, once an answer told the location. Awaited by the token's
   * first call, so that its other calls, waiting for it, count what the token's budget held.
   */
  async adopt(from: string, to: string): Promise<void> {
    this.limiter.adopt(from, to);
    if (this.shared?.available) await this.shared.adopt(from, to).catch(() => undefined);
  }

  #acquireHere(budget: string, now: number, deadline: number): Slot | Promise<Slot> {
    const start = this.limiter.reserve(budget, now, deadline);
    if (start === undefined) throw this.#rateLimitedHere(budget, now);
    // The limiter reads the clock itself: a millisecond may have passed since `now`.
    if (start <= Date.now()) return { budget, start };
    return this.#waitHere(budget, deadline, start).then((slot) => {
      if (!slot) throw this.#rateLimitedHere(budget, Date.now());
      return slot;
    });
  }

  async #acquireShared(shared: SharedRateLimiter, budget: string, deadline: number): Promise<Slot> {
    let slot: SharedReservation;
    try {
      slot = await shared.reserve(budget, Date.now(), deadline);
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      return this.#acquireHere(budget, Date.now(), deadline);
    }
    if (!slot.reserved) throw rateLimited(slot.earliest, slot.scope);
    if (slot.start <= Date.now()) return { budget, start: slot.start, member: slot.member };
    const waited = await this.#waitShared(shared, budget, deadline, slot);
    if ('earliest' in waited) throw rateLimited(waited.earliest, waited.scope);
    return waited;
  }

  /** Sleeps until the reserved start and confirms it, until confirmed; undefined when none is left before the deadline. */
  async #waitHere(budget: string, deadline: number, reserved: number): Promise<Slot | undefined> {
    for (let start: number | undefined = reserved; start !== undefined; ) {
      await sleep(Math.max(0, start - Date.now()));
      const now = Date.now();
      start = this.limiter.confirm(budget, start, deadline);
      if (start !== undefined && start <= now) return { budget, start };
    }
    return undefined;
  }

  /** #waitHere with the shared budget. When Redis goes away meanwhile, the rest of the wait is in process. */
  async #waitShared(shared: SharedRateLimiter, budget: string, deadline: number, reserved: SharedReservation & { reserved: true }): Promise<Slot | Refusal> {
    try {
      for (let slot = reserved; ; ) {
        await sleep(Math.max(0, slot.start - Date.now()));
        const next = await shared.confirm(budget, slot.member, deadline);
        if (!next.reserved) return next;
        if (next.start <= Date.now()) return { budget, start: next.start, member: next.member };
        slot = next;
      }
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      const start = this.limiter.reserve(budget, Date.now(), deadline);
      const here = start === undefined ? undefined : await this.#waitHere(budget, deadline, start);
      return here ?? { earliest: this.limiter.earliestStart(budget, Date.now()), scope: this.limiter.blocked(budget).scope };
    }
  }

  #rateLimitedHere(budget: string, now: number): RateLimitedError {
    return rateLimited(this.limiter.earliestStart(budget, now), this.limiter.blocked(budget).scope, now);
  }
}

function rateLimited(earliest: number, scope: RateLimitScope, now = Date.now()): RateLimitedError {
  const retryAfter = Math.max(1, Math.ceil((earliest - now) / 1000));
  return new RateLimitedError(
    scope === 'daily'
      ? "HighLevel's daily quota for this location is used up"
      : "HighLevel's burst limit for this location is used up until after this operation's deadline",
    { retryAfter, scope },
  );
}
