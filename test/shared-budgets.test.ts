// Integration tier: the shared budgets' scripts in a real Redis (Debian's redis-server on an ephemeral
// port) give exactly the answers of the in-process limiter, operation for operation, on the same clock;
// the cache's keys and the budgets' keys each stay in one hash slot (Redis Cluster); the connection
// reports Redis going away and coming back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RedisConnection } from '../src/redis/connection.js';
import { RateLimiter } from '../src/upstream/rate-limiter.js';
import { SharedRateLimiter, keysOf } from '../src/upstream/shared-rate-limiter.js';
import { SharedConversationCache } from '../src/upstream/shared-conversation-cache.js';
import { type TestRedis, startRedis } from './support/redis-server.js';

/** What Redis Cluster hashes: the part between the first { and the next }, when not empty (else the whole key). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

let redis: TestRedis;
let connection: RedisConnection;
const health: boolean[] = [];

beforeAll(async () => {
  redis = await startRedis();
  connection = await RedisConnection.open(
    { url: redis.url, keyPrefix: 'test:', commandTimeoutMs: 200 },
    { onHealth: (up) => health.push(up) },
  );
});

afterAll(async () => {
  await connection.close();
  await redis.stop();
});

type Operation =
  | { kind: 'advance'; ms: number }
  | { kind: 'reserve'; budget: 'a' | 'b'; notBefore: number; deadline: number }
  | { kind: 'confirm'; index: number; deadline: number }
  | { kind: 'restamp'; index: number }
  | { kind: 'observe'; budget: 'a' | 'b'; max?: number; intervalMs?: number; remaining?: number }
  | { kind: 'hold'; budget: 'a' | 'b'; forMs: number; scope: 'burst' | 'daily' }
  | { kind: 'adopt' };

const budget = fc.constantFrom('a' as const, 'b' as const);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 700 }) }) },
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('reserve' as const), budget, notBefore: fc.integer({ min: 0, max: 1500 }), deadline: fc.integer({ min: 0, max: 4000 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('confirm' as const), index: fc.nat(), deadline: fc.integer({ min: 0, max: 4000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('restamp' as const), index: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { kind: fc.constant('observe' as const), budget, max: fc.integer({ min: 1, max: 6 }), intervalMs: fc.integer({ min: 200, max: 1500 }), remaining: fc.integer({ min: 0, max: 6 }) },
      { requiredKeys: ['kind', 'budget'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hold' as const), budget, forMs: fc.integer({ min: 0, max: 2000 }), scope: fc.constantFrom('burst' as const, 'daily' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('adopt' as const) }) },
);

describe('shared budgets in Redis', () => {
  it('answer every operation exactly as the in-process limiter does', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40 }), async (operations) => {
        run += 1;
        let now = 1_800_000_000_000;
        const clock = () => now;
        const local = new RateLimiter({ max: 4, intervalMs: 1000, marginMs: 50, now: clock });
        const shared = new SharedRateLimiter(connection, { max: 4, intervalMs: 1000, marginMs: 50, now: clock, remainingEveryMs: 0 });
        const name = (b: 'a' | 'b') => `run${run}:${b}`;
        const reservations: Array<{ budget: 'a' | 'b'; start: number; member: string }> = [];
        for (const step of operations) {
          switch (step.kind) {
            case 'advance':
              now += step.ms;
              break;
            case 'reserve': {
              const expected = local.reserve(name(step.budget), now + step.notBefore, now + step.deadline);
              const got = await shared.reserve(name(step.budget), now + step.notBefore, now + step.deadline);
              if (expected === undefined) {
                expect(got).toMatchObject({ reserved: false, earliest: local.earliestStart(name(step.budget), now + step.notBefore) });
              } else {
                expect(got).toMatchObject({ reserved: true, start: expected });
                if (got.reserved) reservations.push({ budget: step.budget, start: got.start, member: got.member });
              }
              break;
            }
            case 'confirm': {
              // A waiting call confirming its slot (pacing.ts).
              const at = step.index % Math.max(1, reservations.length);
              const taken = reservations[at];
              if (!taken) break;
              const expected = local.confirm(name(taken.budget), taken.start, now + step.deadline);
              const got = await shared.confirm(name(taken.budget), taken.member, now + step.deadline);
              expect(got).toMatchObject(expected === undefined ? { reserved: false } : { reserved: true, start: expected, member: taken.member });
              if (expected === undefined) reservations.splice(at, 1);
              else taken.start = expected;
              break;
            }
            case 'restamp': {
              const taken = reservations[step.index % Math.max(1, reservations.length)];
              if (!taken) break;
              local.restamp(name(taken.budget), taken.start, now);
              await shared.observe(name(taken.budget), {}, taken.member);
              taken.start = now;
              break;
            }
            case 'observe': {
              const state = { ...(step.max !== undefined ? { max: step.max } : {}), ...(step.intervalMs !== undefined ? { intervalMs: step.intervalMs } : {}), ...(step.remaining !== undefined ? { remaining: step.remaining } : {}) };
              local.observe(name(step.budget), state);
              await shared.observe(name(step.budget), state);
              break;
            }
            case 'hold':
              local.block(name(step.budget), now + step.forMs, step.scope);
              await shared.hold(name(step.budget), now + step.forMs, step.scope);
              break;
            case 'adopt':
              local.adopt(name('b'), name('a'));
              await shared.adopt(name('b'), name('a'));
              // Reservations of b now live in a; the pipeline never touches them under b again.
              for (let i = reservations.length - 1; i >= 0; i -= 1) if (reservations[i]?.budget === 'b') reservations.splice(i, 1);
              break;
          }
        }
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('keep each budget and each cached conversation in one hash slot, and never write a token', async () => {
    const [log, state] = keysOf(connection, 'location:LOC-1');
    // Every key expires: after a learned limit alone, then a first start, then many.
    const limiter = new SharedRateLimiter(connection, { max: 100, intervalMs: 1000 });
    await limiter.observe('location:LOC-1', { max: 50 });
    for (let i = 0; i < 30; i += 1) await limiter.reserve('location:LOC-1', Date.now(), Date.now() + 60_000);
    for (const key of [log, state]) {
      const ttl = await connection.client.pttl(key);
      expect(ttl).toBeGreaterThan(60_000);
      expect(ttl).toBeLessThan(65_000);
    }
    expect(hashTag(log)).toBe('budget:location:LOC-1');
    expect(hashTag(state)).toBe(hashTag(log));
    const cache = new SharedConversationCache(connection, { ttlMs: 60_000 });
    const record = { id: 'conv-1', contactId: 'c', locationId: 'LOC-1', deleted: false, inbox: true, type: 1, unreadCount: 2 };
    const miss = await cache.lookup('digest-1', 'conv-1');
    expect(miss).toEqual({ hit: false, ticket: '0' });
    await cache.store('digest-1', 'conv-1', record, '0');
    await cache.invalidate('conv-1');
    const keys = await connection.client.keys('test:{conversation:conv-1}*');
    expect(keys.sort()).toEqual(['test:{conversation:conv-1}:digest-1', 'test:{conversation:conv-1}:generation']);
    expect(new Set(keys.map(hashTag))).toEqual(new Set(['conversation:conv-1']));
  });

  it('reports Redis down when it stops answering, and up again within a few seconds of its return', async () => {
    const before = health.length;
    redis.pause();
    const cache = new SharedConversationCache(connection, { ttlMs: 60_000 });
    const started = Date.now();
    await expect(cache.lookup('digest-1', 'conv-2')).resolves.toEqual({ hit: false, ticket: undefined });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(connection.available).toBe(false);
    // Down: bypassed at once, without waiting for a timeout.
    const bypassed = Date.now();
    await cache.lookup('digest-1', 'conv-2');
    expect(Date.now() - bypassed).toBeLessThan(50);
    redis.resume();
    const resumed = Date.now();
    while (!connection.available && Date.now() - resumed < 5000) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connection.available).toBe(true);
    expect(health.slice(before)).toEqual([false, true]);
  });
});
