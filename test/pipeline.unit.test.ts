// Unit tier: the upstream pipeline against a fake transport (no sockets). Each policy's effect on one
// call: retries, 429 holds, coalescing, the private cache, budgets per location, the breaker gate, the
// caller handle.
import { describe, expect, it } from '@jest/globals';
import { BudgetKeys } from '../src/upstream/budgets.js';
import { CircuitBreaker } from '../src/upstream/circuit-breaker.js';
import { HighLevelClient } from '../src/upstream/client.js';
import { InFlightCalls } from '../src/upstream/coalescing.js';
import { type ConversationCache, LocalConversationCache } from '../src/upstream/conversation-cache.js';
import type { ConversationRecord } from '../src/upstream/conversation-record.js';
import type { UpstreamEvent } from '../src/upstream/events.js';
import { Pacer } from '../src/upstream/pacing.js';
import { type Caller, ConversationPipeline } from '../src/upstream/pipeline.js';
import { RateLimiter } from '../src/upstream/rate-limiter.js';
import { RetryPolicy } from '../src/upstream/retry-policy.js';
import type { AttemptResult, UpstreamTransport } from '../src/upstream/transport.js';

const record = (id: string, locationId = 'LOC-A') => ({ id, contactId: 'c', locationId, deleted: false, inbox: true, type: 1, unreadCount: 0 });
const ok = (id: string, locationId?: string): AttemptResult => ({ kind: 'answer', status: 200, headers: {}, body: JSON.stringify(record(id, locationId)), durationMs: 1 });
const status = (code: number, headers: Record<string, string> = {}): AttemptResult => ({ kind: 'answer', status: code, headers, body: '{}', durationMs: 1 });

/** A transport that answers from a script per id (the last entry repeats), and records every request. */
function fakeTransport(script: Record<string, Array<AttemptResult | (() => Promise<AttemptResult>)>>) {
  const requests: Array<{ path: string; authorization: string | undefined }> = [];
  const transport: UpstreamTransport = {
    async get(path, headers) {
      requests.push({ path, authorization: headers.authorization });
      const id = decodeURIComponent(path.split('/').pop() as string);
      const steps = script[id] ?? [ok(id)];
      const step = steps.length > 1 ? (steps.shift() as (typeof steps)[number]) : (steps[0] as (typeof steps)[number]);
      return typeof step === 'function' ? step() : step;
    },
  };
  return { transport, requests };
}

function pipeline(
  transport: UpstreamTransport,
  options: { burstLimit?: number; maxAttempts?: number; coalesce?: boolean; minCalls?: number; cache?: ConversationCache } = {},
) {
  const events: UpstreamEvent[] = [];
  const limiter = new RateLimiter({ max: options.burstLimit ?? 100, intervalMs: 10_000 });
  const instance = new ConversationPipeline({
    transport,
    pacer: new Pacer(limiter),
    budgets: new BudgetKeys(),
    breaker: new CircuitBreaker({ failureRatio: 0.5, windowMs: 10_000, minCalls: options.minCalls ?? 20, minTenants: 3, cooldownMs: 10_000 }),
    retry: new RetryPolicy({ maxAttempts: options.maxAttempts ?? 3, baseDelayMs: 5 }),
    inFlight: options.coalesce === false ? undefined : new InFlightCalls<ConversationRecord>(),
    cache: options.cache,
    observer: (event) => events.push(event),
    tracer: undefined,
    timeoutMs: 1000,
    maxResponseBytes: 1_000_000,
  });
  return { instance, events, limiter };
}

const caller = (token: string): Caller => ({ authorization: `Bearer ${token}`, digest: `digest-${token}` });
const soon = () => ({ deadline: Date.now() + 2000, attempts: { count: 0 } });

describe('the upstream pipeline', () => {
  it('retries a 503 with backoff and answers the record, counting both attempts', async () => {
    const { transport, requests } = fakeTransport({ a: [status(503), ok('a')] });
    const { instance, events } = pipeline(transport);
    const call = soon();
    await expect(instance.read(caller('t'), 'a', call)).resolves.toMatchObject({ id: 'a' });
    expect(requests).toHaveLength(2);
    expect(call.attempts.count).toBe(2);
    expect(events.filter((event) => event.kind === 'retry')).toEqual([{ kind: 'retry', conversationId: 'a', requestId: undefined, attempt: 1, reason: '503' }]);
  });

  it('never retries a 404, a 500 or a daily-quota 429, and stops at the attempt limit', async () => {
    const { transport, requests } = fakeTransport({
      missing: [status(404)],
      broken: [status(500)],
      quota: [status(429, { 'x-ratelimit-daily-remaining': '0', 'retry-after': '1' })],
      flaky: [status(502)],
    });
    const { instance } = pipeline(transport, { maxAttempts: 2 });
    await expect(instance.read(caller('t'), 'missing', soon())).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    await expect(instance.read(caller('t'), 'broken', soon())).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_ERROR' } });
    await expect(instance.read(caller('t'), 'quota', soon())).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED', scope: 'daily' } });
    // Another token: the daily 429 above holds token t's budget for its Retry-After.
    await expect(instance.read(caller('u'), 'flaky', soon())).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_ERROR' } });
    expect(requests.map((request) => request.path)).toEqual(['/conversations/missing', '/conversations/broken', '/conversations/quota', '/conversations/flaky', '/conversations/flaky']);
  });

  it("holds the budget for a 429's Retry-After, for the call's later reads too", async () => {
    const { transport } = fakeTransport({ busy: [status(429, { 'retry-after': '30' })] });
    const { instance, limiter } = pipeline(transport);
    await expect(instance.read(caller('t'), 'busy', soon())).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED', scope: 'burst', retryAfter: 30 } });
    expect(limiter.blocked('token:digest-t').until).toBeGreaterThan(Date.now() + 25_000);
    // The next read cannot start before its deadline: refused at once, without a request.
    await expect(instance.read(caller('t'), 'other', soon())).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
  });

  it('coalesces concurrent reads of one id by one caller, never across callers', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { transport, requests } = fakeTransport({ a: [async () => (await gate, ok('a'))] });
    const { instance, events } = pipeline(transport);
    // The second caller's first call waits for nothing of the first caller's.
    const reads = [instance.read(caller('one'), 'a', soon()), instance.read(caller('one'), 'a', soon()), instance.read(caller('two'), 'a', soon())];
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    await Promise.all(reads);
    expect(requests.map((request) => request.authorization)).toEqual(['Bearer one', 'Bearer two']);
    expect(events.filter((event) => event.kind === 'coalesced')).toHaveLength(1);
  });

  it("makes a new token's other calls wait for its first answer, then counts both tokens of a location in one budget", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { transport, requests } = fakeTransport({ first: [async () => (await gate, ok('first', 'LOC-A'))] });
    const { instance, limiter } = pipeline(transport, { burstLimit: 3 });
    const first = instance.read(caller('one'), 'first', soon());
    const second = instance.read(caller('one'), 'second', soon());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(requests.map((request) => request.path)).toEqual(['/conversations/first']);
    release();
    await Promise.all([first, second]);
    // Token two, of the same location: its first call counts in token two's budget, then moves into LOC-A's.
    await instance.read(caller('two'), 'third', soon());
    // Three starts of two tokens fill LOC-A's budget of three: the next start is a window away.
    const now = Date.now();
    expect(limiter.earliestStart('location:LOC-A', now)).toBeGreaterThan(now + 9000);
    expect(limiter.earliestStart('token:digest-two', now)).toBeLessThan(now + 100);
    await expect(instance.read(caller('two'), 'fourth', soon())).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
  });

  it("fails a tenant's calls fast once its own circuit opens, without a request", async () => {
    const { transport, requests } = fakeTransport({ bad: [status(500)] });
    const { instance } = pipeline(transport, { minCalls: 3 });
    for (let index = 0; index < 3; index += 1) await expect(instance.read(caller('t'), 'bad', soon())).rejects.toBeDefined();
    await expect(instance.read(caller('t'), 'good', soon())).rejects.toMatchObject({ extensions: { code: 'UPSTREAM_UNAVAILABLE' } });
    await expect(instance.read(caller('u'), 'good', soon())).resolves.toMatchObject({ id: 'good' });
    expect(requests.map((request) => request.path)).toEqual(['/conversations/bad', '/conversations/bad', '/conversations/bad', '/conversations/good']);
  });

  it('refuses a bad id before any request', async () => {
    const { transport, requests } = fakeTransport({});
    const { instance } = pipeline(transport);
    await expect(instance.read(caller('t'), '..', soon())).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(requests).toEqual([]);
  });
});

describe('the private conversation cache in the pipeline', () => {
  const cached = () => new LocalConversationCache({ ttlMs: 60_000, maxEntries: 100 });

  it('answers a second read with the same token from the cache: no request, counted as a hit', async () => {
    const { transport, requests } = fakeTransport({});
    const { instance, events } = pipeline(transport, { cache: cached() });
    await instance.read(caller('t'), 'a', soon());
    const second = { ...soon(), cacheHits: { count: 0 } };
    await expect(instance.read(caller('t'), 'a', second)).resolves.toMatchObject({ id: 'a' });
    expect(requests).toHaveLength(1);
    expect(second).toMatchObject({ attempts: { count: 0 }, cacheHits: { count: 1 } });
    expect(events.filter((event) => event.kind === 'cache').map((event) => (event as { outcome: string }).outcome)).toEqual(['miss', 'hit']);
  });

  it('never serves one token what another token fetched', async () => {
    const { transport, requests } = fakeTransport({});
    const { instance } = pipeline(transport, { cache: cached() });
    await instance.read(caller('t'), 'a', soon());
    await instance.read(caller('u'), 'a', soon());
    expect(requests.map((request) => request.authorization)).toEqual(['Bearer t', 'Bearer u']);
  });

  it('keeps no errors: a failed read is made again', async () => {
    const { transport, requests } = fakeTransport({ a: [status(404), ok('a')] });
    const { instance } = pipeline(transport, { cache: cached() });
    await expect(instance.read(caller('t'), 'a', soon())).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    await expect(instance.read(caller('t'), 'a', soon())).resolves.toMatchObject({ id: 'a' });
    expect(requests).toHaveLength(2);
  });

  it('invalidates a conversation for every token at once, and drops an answer fetched before the invalidation', async () => {
    const cache = cached();
    let release!: () => void;
    const slow = () => new Promise<AttemptResult>((resolve) => (release = () => resolve(ok('b'))));
    const { transport, requests } = fakeTransport({ b: [slow, ok('b')] });
    const { instance } = pipeline(transport, { cache });
    await instance.read(caller('t'), 'a', soon());
    await instance.read(caller('u'), 'a', soon());
    await cache.invalidate('a');
    await instance.read(caller('t'), 'a', soon());
    await instance.read(caller('u'), 'a', soon());
    expect(requests.filter((request) => request.path.endsWith('/a'))).toHaveLength(4);
    // b: fetched, invalidated while in flight, stored afterwards: the next read must not get it.
    const inFlight = instance.read(caller('t'), 'b', soon());
    await new Promise((resolve) => setImmediate(resolve));
    await cache.invalidate('b');
    release();
    await inFlight;
    await instance.read(caller('t'), 'b', soon());
    expect(requests.filter((request) => request.path.endsWith('/b'))).toHaveLength(2);
  });
});

describe('HighLevelClient.forCaller', () => {
  it("gives each Authorization value a handle whose digest never contains the token", async () => {
    const client = new HighLevelClient({
      baseUrl: 'http://127.0.0.1:9',
      apiVersion: '2021-07-28',
      timeoutMs: 100,
      maxAttempts: 1,
      retryBaseDelayMs: 1,
      burstLimit: 100,
      burstIntervalMs: 10_000,
      maxResponseBytes: 1024,
      breaker: { failureRatio: 0.5, windowMs: 10_000, minCalls: 20, minTenants: 3, cooldownMs: 1000 },
      coalesce: true,
      cache: { ttlSeconds: 0, maxEntries: 1 },
    });
    const one = client.forCaller('Bearer pit-secret-one');
    expect(one.digest).toHaveLength(22);
    expect(one.digest).not.toContain('secret');
    expect(client.forCaller('Bearer pit-secret-two').digest).not.toBe(one.digest);
    expect(client.forCaller('Bearer pit-secret-one').digest).toBe(one.digest);
    await client.close();
  });
});
