// The budgets of rate-limiter.ts kept in Redis, so that every instance of the service reserves from the
// same log per location: three replicas serving one location start at most `max` calls per window
// between them, and what one learns (limits, X-RateLimit-Remaining corrections, a 429's hold) holds for
// all. Each operation is one script (budget-scripts.ts) on the budget's two keys, which share a hash
// tag and so one Redis Cluster slot. Keys name budgets as the rest of the pipeline does, by location id
// or by a token's digest: no token is ever written to Redis.
//
// Times cross the wire as offsets from Redis's clock and are turned into this process's clock on
// arrival. Every method throws RedisUnavailableError when Redis cannot answer: the pacer then uses its
// in-process limiter.
import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import type { RateLimitScope } from '../errors.js';
import type { RedisConnection } from '../redis/connection.js';
import { ABSORB, HOLD, OBSERVE, RESERVE } from './budget-scripts.js';
import type { RateLimitState } from './rate-limit-headers.js';

export interface SharedLimits {
  max: number;
  intervalMs: number;
  marginMs?: number;
  /** For the equivalence tests: a fixed clock passed to the scripts instead of Redis's. */
  now?: () => number;
  /** How often X-RateLimit-Remaining is sent per budget, at most; default 100 ms (0: every answer). */
  remainingEveryMs?: number;
}

export type SharedReservation =
  | { reserved: true; start: number; member: string }
  | { reserved: false; earliest: number; scope: RateLimitScope };

type Script = (keys: [string, string], args: Array<string | number>) => Promise<unknown>;
type Scripts = Record<'reserve' | 'observe' | 'hold' | 'absorb', Script>;
const SOURCES = { reserve: RESERVE, observe: OBSERVE, hold: HOLD, absorb: ABSORB };

export class SharedRateLimiter {
  readonly #redis: RedisConnection;
  readonly #scripts: Scripts;
  readonly #defaults: Array<string | number>;
  /** This process's clock; a fixed one is also sent to the scripts (tests). */
  readonly #now: () => number;
  readonly #fixedClock: boolean;
  #sequence = 0;
  readonly #remainingEveryMs: number;
  /** Per budget, what was last sent of the limits, and when. */
  readonly #lastSent = new LRUCache<string, { max: number | undefined; intervalMs: number | undefined; at: number }>({ max: 10_000 });

  constructor(redis: RedisConnection, limits: SharedLimits) {
    this.#redis = redis;
    this.#now = limits.now ?? Date.now;
    this.#fixedClock = limits.now !== undefined;
    this.#remainingEveryMs = limits.remainingEveryMs ?? 100;
    this.#defaults = [limits.max, limits.intervalMs, limits.marginMs ?? 100];
    this.#scripts = defineScripts(redis.client);
  }

  get available(): boolean {
    return this.#redis.available;
  }

  /** Reserves the earliest start at or after `notBefore` (this process's clock), if it lies at or before `deadline`. */
  reserve(budget: string, notBefore: number, deadline: number): Promise<SharedReservation> {
    return this.#reserve(budget, notBefore, deadline, this.#member(), 'reserve');
  }

  /** RateLimiter.confirm for a shared reservation: its slot taken again from now, or given up past `deadline`. */
  confirm(budget: string, member: string, deadline: number): Promise<SharedReservation> {
    return this.#reserve(budget, this.#now(), deadline, member, 'confirm');
  }

  async #reserve(budget: string, notBefore: number, deadline: number, member: string, mode: 'reserve' | 'confirm'): Promise<SharedReservation> {
    const sent = this.#now();
    const [reserved, offset, , scope] = (await this.#run('reserve', budget, [notBefore - sent, deadline - sent, member, mode])) as [number, number, number, RateLimitScope];
    const start = this.#now() + offset;
    return reserved === 1 ? { reserved: true, start, member } : { reserved: false, earliest: start, scope };
  }

  /**
   * An answer came back: the reservation `member` (when given) is restamped to now (RateLimiter.restamp),
   * then what HighLevel's X-RateLimit-* headers said is learned, for every instance. One script for both.
   */
  async observe(budget: string, state: RateLimitState, member = ''): Promise<void> {
    const news = this.#news(budget, state);
    if (member === '' && !news) return;
    // A restamp goes out with every answer; what the headers say, only when it is news.
    const told = news ? state : {};
    await this.#run('observe', budget, [told.max ?? '', told.intervalMs ?? '', told.remaining ?? '', this.#member(), member]);
  }

  /**
   * Whether headers tell Redis something: limits that changed, or X-RateLimit-Remaining, which counts
   * (and corrects for calls made by others) at most every `remainingEveryMs` per budget from here.
   * Every answer carries them: sending each would double this instance's Redis traffic for nothing.
   */
  #news(budget: string, state: RateLimitState): boolean {
    const now = this.#now();
    const last = this.#lastSent.get(budget);
    const limitsChanged = (state.max !== undefined && state.max !== last?.max) || (state.intervalMs !== undefined && state.intervalMs !== last?.intervalMs);
    const remainingDue = state.remaining !== undefined && (last === undefined || now - last.at >= this.#remainingEveryMs);
    if (!limitsChanged && !remainingDue) return false;
    this.#lastSent.set(budget, { max: state.max ?? last?.max, intervalMs: state.intervalMs ?? last?.intervalMs, at: now });
    return true;
  }

  /** After a 429: nothing starts for this budget, on any instance, before `until` (this process's clock). */
  async hold(budget: string, until: number, scope: RateLimitScope): Promise<void> {
    await this.#run('hold', budget, [Math.max(0, until - this.#now()), scope]);
  }

  /** Moves budget `from`'s starts and hold into `to` (a token's budget into its location's). */
  async adopt(from: string, to: string): Promise<void> {
    if (from === to) return;
    const [log, state] = keysOf(this.#redis, from);
    // Two budgets live in two slots, so this is three steps: read `from`, add what was read to `to`, remove
    // from `from` exactly what was added. Members are unique per reservation, so adding one twice (two
    // instances adopting at once) counts it once, and a start another instance adds to `from` meanwhile
    // stays there until that instance, whose first call it is, adopts it in turn.
    const [starts, hold] = await this.#redis.run((client) =>
      Promise.all([client.zrange(log, '0', '-1', 'WITHSCORES'), client.hmget(state, 'blockedUntil', 'scope')]),
    );
    const pairs: string[] = [];
    const members: string[] = [];
    for (let i = 0; i + 1 < starts.length; i += 2) {
      pairs.push(starts[i + 1] as string, starts[i] as string);
      members.push(starts[i] as string);
    }
    await this.#run('absorb', to, [hold[0] ?? '0', hold[1] ?? 'burst', ...pairs]);
    // The hold went along; `from` starts afresh with the defaults (its learned limits dropped), as in
    // process.
    // 'expires' stays: the log's expiry must never move earlier (budget-scripts.ts, keep).
    const fields = ['max', 'interval', 'blockedUntil', 'scope'];
    await this.#redis.run((client) => (members.length > 0 ? client.multi().zrem(log, ...members).hdel(state, ...fields) : client.multi().hdel(state, ...fields)).exec());
  }

  #run(script: keyof Scripts, budget: string, args: Array<string | number>): Promise<unknown> {
    const now = this.#fixedClock ? String(this.#now()) : '';
    return this.#redis.run(() => this.#scripts[script](keysOf(this.#redis, budget), [now, ...this.#defaults, ...args]));
  }

  /** Unique across instances (instance id) and within this one (sequence). */
  #member(): string {
    this.#sequence += 1;
    return `${this.#redis.instanceId}:${this.#sequence}`;
  }
}

/** The budget's log and state keys: one hash tag, so one slot. */
export function keysOf(redis: RedisConnection, budget: string): [string, string] {
  return [redis.key(`{budget:${budget}}:log`), redis.key(`{budget:${budget}}:state`)];
}

/** ioredis's defined commands run EVALSHA and fall back to EVAL when Redis has not seen the script. */
function defineScripts(client: Redis): Scripts {
  const scripts = {} as Scripts;
  for (const [name, lua] of Object.entries(SOURCES)) {
    const command = `hlgql_budget_${name}`;
    if (!(command in client)) client.defineCommand(command, { numberOfKeys: 2, lua });
    const run = (client as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>)[command] as (...args: Array<string | number>) => Promise<unknown>;
    scripts[name as keyof Scripts] = (keys, args) => run.call(client, ...keys, ...args);
  }
  return scripts;
}
