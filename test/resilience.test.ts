// Integration tier: resilience against the sandbox's fault modes, counting calls at the sandbox: retries,
// pacing under HighLevel's burst limit (per location), limits on what comes back, and draining on stop.
// The circuit breaker has its own file (circuit-breaker.test.ts).
import { describe, expect, it } from '@jest/globals';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS, SANDBOX_SECOND_TOKEN_A, generatedConversationId } from '../sandbox/data.js';
import { LOCATION_A, postGraphQL, stackPerTest } from './support/stack.js';

const QUERY = `query One($id: ID!) { conversation(id: $id) { id } }`;

// A fresh stack per test, stopped after it.
const start = stackPerTest();

describe('retries', () => {
  it('retries a 429 after its Retry-After and resolves the field', async () => {
    const { graphql, sandbox } = await start();
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 429, headers: { 'Retry-After': '1' } }, { times: 1 });
    const started = Date.now();
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    const elapsed = Date.now() - started;
    expect(body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(2);
    const arrivals = sandbox.requests.map((request) => request.at);
    expect((arrivals[1] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('gives up on a persistent 429 within the deadline, with retryAfter and scope', async () => {
    const { graphql, sandbox } = await start({ config: { limits: { operationDeadlineMs: 2500 } } });
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 429, headers: { 'Retry-After': '1' } });
    const started = Date.now();
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    const elapsed = Date.now() - started;
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1, scope: 'burst' });
    expect(elapsed).toBeLessThan(2500);
    // Three attempts (HIGHLEVEL_MAX_ATTEMPTS), a second apart.
    expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(3);
  });

  it('never retries a daily-quota 429', async () => {
    const { graphql, sandbox } = await start();
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_FAULT_IDS.dailyLimited } });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'daily' });
    expect((body.errors?.[0]?.extensions?.retryAfter as number) > 0).toBe(true);
    expect(sandbox.callsFor(SANDBOX_FAULT_IDS.dailyLimited)).toBe(1);
  });

  it.each([
    ['a 503', { kind: 'status', status: 503 } as const],
    ['a 502', { kind: 'status', status: 502 } as const],
    ['a 504', { kind: 'status', status: 504 } as const],
    ['a reset connection', { kind: 'reset' } as const],
  ])('resolves after %s followed by success', async (_label, fault) => {
    const { graphql, sandbox } = await start();
    sandbox.setFault(SANDBOX_IDS.phone, fault, { times: 1 });
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    expect(body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
    expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(2);
  });

  it.each([400, 401, 403, 404, 422, 500])('does not retry HTTP %d', async (status) => {
    const { graphql, sandbox } = await start();
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status });
    await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(1);
  });

  it('stops after HIGHLEVEL_MAX_ATTEMPTS and returns the last attempt\'s error with its code', async () => {
    const { graphql, sandbox } = await start({ config: { upstream: { maxAttempts: 4 } } });
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 503 });
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstream: { status: 503 } });
    expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(4);
  });
});

describe('what the operation log counts', () => {
  it('counts every request really sent, retries included', async () => {
    const { graphql, sandbox, logs } = await start();
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 503 }, { times: 1 });
    await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    const line = logs.map((entry) => JSON.parse(entry) as { msg: string; upstreamCalls?: number }).find((entry) => entry.msg === 'graphql operation');
    expect(line?.upstreamCalls).toBe(2);
    expect(sandbox.totalCalls()).toBe(2);
  });
});

describe('pacing under the burst limit', () => {
  it('resolves 150 distinct ids in one operation without a single 429 from the sandbox\'s 100-per-10-s counting', async () => {
    const { graphql, sandbox } = await start({
      sandbox: { generatedConversations: 150 },
      config: { limits: { operationDeadlineMs: 15_000, maxLookups: 150 } },
    });
    const ids = Array.from({ length: 150 }, (_, i) => generatedConversationId(i));
    const started = Date.now();
    const { body } = await graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    const elapsed = Date.now() - started;
    expect(body.errors).toBeUndefined();
    expect((body.data?.conversations as Array<{ id: string }>).map((c) => c.id)).toEqual(ids);
    expect(sandbox.totalCalls()).toBe(150);
    expect(sandbox.statusCounts()).toEqual({ 200: 150 });
    // The 101st call had to wait for the window to pass.
    expect(elapsed).toBeGreaterThanOrEqual(10_000);
  }, 30_000);

  it("shares one budget between two tokens of one location: 150 ids split over both, concurrently, without a single 429", async () => {
    const { graphql, sandbox } = await start({
      sandbox: { generatedConversations: 150 },
      config: { limits: { operationDeadlineMs: 15_000, maxLookups: 150 } },
    });
    const ids = Array.from({ length: 150 }, (_, i) => generatedConversationId(i));
    const query = `query($ids: [ID!]!) { conversations(ids: $ids) { id } }`;
    const [first, second] = await Promise.all([
      graphql(query, { variables: { ids: ids.slice(0, 75) } }),
      graphql(query, { variables: { ids: ids.slice(75) }, token: SANDBOX_SECOND_TOKEN_A }),
    ]);
    expect(first.body.errors).toBeUndefined();
    expect(second.body.errors).toBeUndefined();
    expect(new Set(sandbox.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${LOCATION_A.token}`, `Bearer ${SANDBOX_SECOND_TOKEN_A}`]));
    expect(sandbox.statusCounts()).toEqual({ 200: 150 });
  }, 30_000);

  it('refuses at once, with RATE_LIMITED, the calls that could not start before the deadline', async () => {
    const { graphql, sandbox } = await start({
      sandbox: { generatedConversations: 8, burstLimit: 5, burstIntervalMs: 10_000 },
      config: { upstream: { burstLimit: 5 }, limits: { operationDeadlineMs: 1000 } },
    });
    const ids = Array.from({ length: 8 }, (_, i) => generatedConversationId(i));
    const started = Date.now();
    const { body } = await graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    expect(Date.now() - started).toBeLessThan(1000);
    expect((body.data?.conversations as unknown[]).filter((c) => c !== null)).toHaveLength(5);
    const errors = (body.errors ?? []).map((error) => error.extensions as { code: string; scope: string; retryAfter: number });
    expect(errors.map(({ code, scope }) => ({ code, scope }))).toEqual(Array.from({ length: 3 }, () => ({ code: 'RATE_LIMITED', scope: 'burst' })));
    // One window (10 s), plus the limiter's safety margin, rounded up to whole seconds.
    for (const { retryAfter } of errors) expect([10, 11]).toContain(retryAfter);
    expect(sandbox.statusCounts()).toEqual({ 200: 5 });
  });

  it('keeps one busy token from delaying another', async () => {
    const { graphql, sandbox } = await start({
      sandbox: { generatedConversations: 10, burstLimit: 5, burstIntervalMs: 10_000 },
      config: { upstream: { burstLimit: 5 }, limits: { operationDeadlineMs: 500 } },
    });
    const ids = Array.from({ length: 10 }, (_, i) => generatedConversationId(i));
    await graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    const other = await graphql(QUERY, { variables: { id: SANDBOX_IDS.otherLocation }, token: 'pit-3e924b24-9d07-4a85-875a-497b2d608a14' });
    expect(other.body).toEqual({ data: { conversation: { id: SANDBOX_IDS.otherLocation } } });
    expect(sandbox.statusCounts()[429]).toBeUndefined();
  });

  it('holds calls already queued when a 429 arrives while they wait', async () => {
    const { graphql, sandbox } = await start({
      sandbox: { generatedConversations: 6, burstLimit: 1000 },
      config: { upstream: { burstLimit: 3, burstIntervalMs: 1000, maxAttempts: 1 }, limits: { operationDeadlineMs: 2500 } },
    });
    const ids = Array.from({ length: 6 }, (_, i) => generatedConversationId(i));
    // A first answer tells the token's location (until then its calls wait for that answer); then a new window.
    await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    sandbox.reset();
    // One of the first three answers 429 asking for 5 s; the last three were queued for t = 1 s.
    sandbox.setFault(ids[0] as string, { kind: 'status', status: 429, headers: { 'Retry-After': '5' } }, { times: 1 });
    const { body } = await graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    expect(sandbox.totalCalls()).toBe(3);
    const codes = (body.errors ?? []).map((error) => error.extensions?.code);
    expect(codes).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('holds the token after a 429 even when that call is not retried', async () => {
    const { graphql, sandbox } = await start({ config: { upstream: { maxAttempts: 1 }, limits: { operationDeadlineMs: 2000 } } });
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 429, headers: { 'Retry-After': '5' } }, { times: 1 });
    await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.email } });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'burst' });
    expect(sandbox.totalCalls()).toBe(1);
  });

  it('answers UPSTREAM_TIMEOUT, not RATE_LIMITED, when the deadline passes while a call waits its turn', async () => {
    const { graphql } = await start({
      sandbox: { generatedConversations: 4, latencyMs: 600 },
      config: { limits: { maxConcurrentUpstream: 1, operationDeadlineMs: 1000 } },
    });
    const ids = Array.from({ length: 4 }, (_, i) => generatedConversationId(i));
    const { body } = await graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    const codes = (body.errors ?? []).map((error) => error.extensions?.code);
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set(['UPSTREAM_TIMEOUT']));
  });

  it('caps the upstream calls one operation has in flight', async () => {
    const { graphql, sandbox } = await start({ sandbox: { generatedConversations: 6 }, config: { limits: { maxConcurrentUpstream: 2 } } });
    const ids = Array.from({ length: 6 }, (_, i) => generatedConversationId(i));
    for (const id of ids) sandbox.setFault(id, { kind: 'delay', ms: 200 });
    const { body } = await graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
    expect(body.errors).toBeUndefined();
    // Two at a time: three waves, each starting once the previous one answered.
    const arrivals = sandbox.requests.map((request) => request.at).sort((a, b) => a - b);
    expect((arrivals[2] ?? 0) - (arrivals[0] ?? 0)).toBeGreaterThanOrEqual(190);
    expect((arrivals[4] ?? 0) - (arrivals[2] ?? 0)).toBeGreaterThanOrEqual(190);
  });
});

describe('limits on what comes back', () => {
  it('cuts off a body over the limit: UPSTREAM_INVALID_RESPONSE', async () => {
    const { graphql, sandbox } = await start();
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'oversized', bytes: 2 * 1024 * 1024 });
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_INVALID_RESPONSE');
    expect(body.errors?.[0]?.message).toBe("HighLevel's answer is larger than 1048576 bytes; it was cut off");
  });

  it('accepts a body just under the limit', async () => {
    const { graphql, sandbox } = await start();
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'oversized', bytes: 1024 * 1024 - 100 });
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    expect(body).toEqual({ data: { conversation: { id: 'oversized' } } });
  });

  it('gives up on a body that never finishes: UPSTREAM_TIMEOUT', async () => {
    const { graphql, sandbox } = await start({ config: { upstream: { timeoutMs: 400 } } });
    sandbox.setFault(SANDBOX_IDS.phone, { kind: 'stall-body' });
    const started = Date.now();
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_IDS.phone } });
    expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ends a call at the operation deadline even when the per-attempt timeout is longer', async () => {
    const { graphql } = await start({ config: { upstream: { timeoutMs: 10_000 }, limits: { operationDeadlineMs: 500 } } });
    const started = Date.now();
    const { body } = await graphql(QUERY, { variables: { id: SANDBOX_FAULT_IDS.hang } });
    expect(body.errors?.[0]).toMatchObject({ message: "HighLevel did not answer before the operation's deadline", extensions: { code: 'UPSTREAM_TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('draining on stop', () => {
  it('answers /readyz 503 and refuses new operations while the in-flight one finishes', async () => {
    const current = await start({ config: { upstream: { timeoutMs: 5000 } } });
    const slow = current.graphql(QUERY, { variables: { id: SANDBOX_FAULT_IDS.slow } });
    while (current.sandbox.callsFor(SANDBOX_FAULT_IDS.slow) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const stopped = current.service.stop();

    const ready = await fetch(`${current.service.url}/readyz`);
    expect(ready.status).toBe(503);
    const refused = await postGraphQL(current.service.graphqlUrl, QUERY, { variables: { id: SANDBOX_IDS.phone } });
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('SHUTTING_DOWN');
    expect((await fetch(`${current.service.url}/healthz`)).status).toBe(200);

    expect((await slow).body).toEqual({ data: { conversation: { id: SANDBOX_FAULT_IDS.slow } } });
    await stopped;
    await expect(fetch(`${current.service.url}/healthz`)).rejects.toThrow();
  });

  it('cuts in-flight operations off after the grace period', async () => {
    const current = await start({ config: { http: { shutdownGraceMs: 300 } } });
    const hanging = current.graphql(QUERY, { variables: { id: SANDBOX_FAULT_IDS.hang } }).then(
      () => 'answered',
      () => 'cut off',
    );
    while (current.sandbox.callsFor(SANDBOX_FAULT_IDS.hang) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await current.service.stop();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await hanging).toBe('cut off');
  });
});
