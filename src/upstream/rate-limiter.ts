// Pacing of upstream calls per budget (a location, or a token before its location is known), shared
// by every request in the process.
//
// HighLevel allows `max` requests per `interval` (100 per 10 s) per app and location, and the token
// decides the location. So that an operation needing more calls than one window allows queues them
// instead of provoking 429s, every call (first attempts and retries alike) first reserves a start time
// here. A reservation is valid when no window of one interval (plus a safety margin for clock and
// network skew) would then hold more than `max` starts. Reservations can lie in the future: a caller
// sleeps until its slot, or gives up when the slot lies beyond its deadline, without reserving.
//
// Each budget has its own log, so one busy location never delays another. Limits are learned from
// X-RateLimit-Max / -Interval-Milliseconds, and X-RateLimit-Remaining reveals calls made by others
// (another replica, another app) for the same location: they are added to the log as if made now.
import type { RateLimitScope } from '../errors.js';
import type { RateLimitState } from './rate-limit-headers.js';

export interface RateLimiterOptions {
  /** Burst limit assumed until HighLevel's headers say otherwise. */
  max: number;
  /** Burst window assumed until HighLevel's headers say otherwise. */
  intervalMs: number;
  /** Added to the window: our clock and HighLevel's see a request at slightly different moments. */
  marginMs?: number;
  now?: () => number;
}

interface Bucket {
  max: number;
  intervalMs: number;
  /** Start times of calls, sorted; entries older than one window are pruned. */
  log: number[];
  /** Nothing may start before this (set after a 429). */
  blockedUntil: number;
  /** Which limit the 429 behind `blockedUntil` was. */
  blockedScope: RateLimitScope;
}

const SWEEP_EVERY = 1024;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #defaults: { max: number; intervalMs: number };
  readonly #marginMs: number;
  readonly #now: () => number;
  #operations = 0;

  constructor(options: RateLimiterOptions) {
    this.#defaults = { max: options.max, intervalMs: options.intervalMs };
    this.#marginMs = options.marginMs ?? 100;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Reserves the earliest start at or after `notBefore`.
   * @returns the reserved start time, or undefined (nothing reserved) when it would lie after `deadline`.
   */
  reserve(key: string, notBefore: number, deadline: number): number | undefined {
    const bucket = this.#bucket(key);
    const start = this.#earliestStart(bucket, notBefore);
    if (start > deadline) return undefined;
    insertSorted(bucket.log, start);
    return start;
  }

  /**
   * A call that waited, at its reserved start: takes its slot again from now, counting only the calls
   * that have started (the reservations after it will check again when their turn comes). Earlier calls
   * may have been restamped or a 429 may hold the budget since the slot was reserved; then the start
   * moves later.
   * @returns the new start (now when the call may go), or undefined (slot given up) past `deadline`.
   */
  confirm(key: string, start: number, deadline: number): number | undefined {
    this.release(key, start);
    const bucket = this.#bucket(key);
    const now = this.#now();
    const earliest = this.#earliestStart(bucket, now, (log) => log.slice(0, upperBound(log, now)));
    if (earliest > deadline) return undefined;
    insertSorted(bucket.log, earliest);
    return earliest;
  }

  /** Gives back a reservation that will not be used (its call was held back by a later 429). */
  release(key: string, start: number): void {
    const log = this.#bucket(key).log;
    const at = upperBound(log, start) - 1;
    if (at >= 0 && log[at] === start) log.splice(at, 1);
  }

  /**
   * Moves a start to when its answer came back (`to`): the latest moment HighLevel can have counted the
   * call. A call that took long to arrive (a new connection, a busy event loop) then still keeps a whole
   * window from the calls after it, as HighLevel sees them.
   */
  restamp(key: string, from: number, to: number): void {
    const log = this.#bucket(key).log;
    const at = upperBound(log, from) - 1;
    if (at < 0 || log[at] !== from) return;
    log.splice(at, 1);
    insertSorted(log, to);
  }

  /** Until when, and why, this token's calls are held after a 429 (0 when they are not). */
  blocked(key: string): { until: number; scope: RateLimitScope } {
    const bucket = this.#bucket(key);
    return { until: bucket.blockedUntil, scope: bucket.blockedScope };
  }

  /** When a call could start at the earliest, without reserving (for a RATE_LIMITED error's retryAfter). */
  earliestStart(key: string, notBefore: number): number {
    return this.#earliestStart(this.#bucket(key), notBefore);
  }

  /** Learns from HighLevel's X-RateLimit-* headers. */
  observe(key: string, state: RateLimitState): void {
    const bucket = this.#bucket(key);
    if (state.max !== undefined) bucket.max = state.max;
    if (state.intervalMs !== undefined) bucket.intervalMs = state.intervalMs;
    if (state.remaining === undefined) return;
    const usedUpstream = bucket.max - state.remaining;
    if (usedUpstream <= 0) return;
    const now = this.#now();
    const usedHere = upperBound(bucket.log, now) - upperBound(bucket.log, now - bucket.intervalMs);
    for (let i = usedHere; i < usedUpstream; i += 1) insertSorted(bucket.log, now);
  }

  /**
   * Moves the calls and the hold of budget `from` into `to` (a token's budget into its location's, once
   * the location is known), so calls made before are counted in the location's windows.
   */
  adopt(from: string, to: string): void {
    const source = this.#buckets.get(from);
    if (!source || from === to) return;
    this.#buckets.delete(from);
    const target = this.#bucket(to);
    for (const start of source.log) insertSorted(target.log, start);
    this.block(to, source.blockedUntil, source.blockedScope);
  }

  /** After a 429: nothing starts for this budget before `until`. */
  block(key: string, until: number, scope: RateLimitScope = 'burst'): void {
    const bucket = this.#bucket(key);
    if (until > bucket.blockedUntil) {
      bucket.blockedUntil = until;
      bucket.blockedScope = scope;
    }
  }

  #bucket(key: string): Bucket {
    this.#operations += 1;
    if (this.#operations % SWEEP_EVERY === 0) this.#sweep();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { ...this.#defaults, log: [], blockedUntil: 0, blockedScope: 'burst' };
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  /** `counted` picks the starts that count (all of them, unless confirming). */
  #earliestStart(bucket: Bucket, notBefore: number, counted: (log: number[]) => number[] = (log) => log): number {
    const now = this.#now();
    const window = bucket.intervalMs + this.#marginMs;
    prune(bucket.log, now - window);
    const log = counted(bucket.log);
    const from = Math.max(notBefore, bucket.blockedUntil, now);
    if (log.length < bucket.max) return from;
    // A start becomes possible either right away or when some earlier start leaves its window.
    const candidates = [from, ...log.map((start) => start + window).filter((time) => time > from)];
    candidates.sort((a, b) => a - b);
    for (const candidate of candidates) {
      if (fits(log, candidate, bucket.max, window)) return candidate;
    }
    // Unreachable: after the last start plus one window, every window is empty.
    return (log.at(-1) ?? from) + window;
  }

  /** Drops the state of tokens that have been idle for a whole window. */
  #sweep(): void {
    const now = this.#now();
    for (const [key, bucket] of this.#buckets) {
      const last = bucket.log.at(-1) ?? 0;
      if (last < now - bucket.intervalMs - this.#marginMs && bucket.blockedUntil < now) this.#buckets.delete(key);
    }
  }
}

/**
 * Whether a start at `time` keeps every window of length `window` at `max` starts or fewer: with the
 * start inserted into the sorted log, any `max + 1` consecutive starts must span at least one window.
 */
function fits(log: readonly number[], time: number, max: number, window: number): boolean {
  const at = upperBound(log, time);
  // Groups of max + 1 consecutive starts that include the new one: `before` from the log before it, the rest after.
  for (let before = Math.max(0, max - (log.length - at)); before <= Math.min(max, at); before += 1) {
    const after = max - before;
    const first = before > 0 ? (log[at - before] as number) : time;
    const last = after > 0 ? (log[at + after - 1] as number) : time;
    if (last - first < window) return false;
  }
  return true;
}

function upperBound(log: readonly number[], time: number): number {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((log[middle] as number) <= time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function insertSorted(log: number[], time: number): void {
  log.splice(upperBound(log, time), 0, time);
}

function prune(log: number[], olderThanOrAt: number): void {
  let count = 0;
  while (count < log.length && (log[count] as number) <= olderThanOrAt) count += 1;
  if (count > 0) log.splice(0, count);
}
