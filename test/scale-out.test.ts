// System tier: several service instances behind one real Redis (Debian's redis-server on an ephemeral
// port) and one sandbox upstream that counts HighLevel's 100 calls per 10 s per location for real. What
// Redis buys is shown against the same run without it: one shared budget per location instead of one
// per instance, a private cache shared by the instances, and Redis trouble that never fails a request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ConfigOverrides, loadConfig } from '../src/config.js';
import { RedisConnection } from '../src/redis/connection.js';
import { SharedConversationCache } from '../src/upstream/shared-conversation-cache.js';
import { SANDBOX_IDS, SANDBOX_SECOND_TOKEN_A, generatedConversationId } from '../sandbox/data.js';
import { type SandboxUpstream, startSandboxUpstream } from '../sandbox/upstream.js';
import { type TestRedis, startRedis } from './support/redis-server.js';
import { type Instance, LOCATION_A, startInstance } from './support/stack.js';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis.stop();
});

const idsQuery = 'query Ids($ids: [ID!]!) { conversations(ids: $ids) { id } }';
const oneQuery = 'query One($id: ID!) { conversation(id: $id) { id unreadCount } }';

async function instances(sandbox: SandboxUpstream, count: number, config: ConfigOverrides = {}): Promise<Instance[]> {
  return Promise.all(Array.from({ length: count }, () => startInstance(sandbox, { config })));
}

/** The most requests that arrived at the sandbox within any `windowMs` (sliding, from each arrival). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; first < sorted.length; first += 1) {
    while (last < sorted.length && (sorted[last] as number) < (sorted[first] as number) + windowMs) last += 1;
    most = Math.max(most, last - first);
  }
  return most;
}

/** Requests per consecutive 10 s window from the first arrival: what the closing note pastes. */
function perWindow(times: number[], windowMs: number): number[] {
  const first = Math.min(...times);
  const counts: number[] = [];
  for (const time of times) {
    const index = Math.floor((time - first) / windowMs);
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return Array.from(counts, (count) => count ?? 0);
}

async function metric(instance: Instance, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${instance.service.url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `) || candidate.startsWith(`${name}{`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('three instances, one location, 100 calls per 10 s', () => {
  it('share one budget through Redis: 0 429s and no window over 100, where the same run without Redis overshoots', async () => {
    // Two sandboxes side by side, so that both runs take the same 20 s instead of 40.
    const shared = await startSandboxUpstream({ generatedConversations: 300 });
    const alone = await startSandboxUpstream({ generatedConversations: 300 });
    // Attempts get 10 s: under a loaded CI run a 2 s timeout would add retries to what the sandbox counts.
    const config = { limits: { operationDeadlineMs: 40_000 }, upstream: { timeoutMs: 10_000 } };
    const withRedis = await instances(shared, 3, { ...config, redis: { url: redis.url } });
    const withoutRedis = await instances(alone, 3, config);
    try {
      const run = (group: Instance[]) =>
        Promise.all(group.map((instance, i) => instance.graphql(idsQuery, { variables: { ids: Array.from({ length: 100 }, (_, j) => generatedConversationId(i * 100 + j)) } })));
      const [answersShared, answersAlone] = await Promise.all([run(withRedis), run(withoutRedis)]);

      for (const answer of answersShared) {
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.data?.conversations).toHaveLength(100);
      }
      const sharedTimes = shared.requests.filter((request) => request.conversationId).map((request) => request.at);
      expect(new Set(shared.requests.map((request) => request.conversationId).filter(Boolean)).size).toBe(300);
      expect(shared.statusCounts()[429] ?? 0).toBe(0);
      expect(busiestWindow(sharedTimes, 10_000)).toBeLessThanOrEqual(100);

      const aloneTimes = alone.requests.filter((request) => request.conversationId).map((request) => request.at);
      expect(alone.statusCounts()[429] ?? 0).toBeGreaterThan(0);
      expect(busiestWindow(aloneTimes, 10_000)).toBeGreaterThan(100);
      process.stdout.write(
        `scale-out: with Redis ${JSON.stringify({ perWindow: perWindow(sharedTimes, 10_000), busiest: busiestWindow(sharedTimes, 10_000), status429: shared.statusCounts()[429] ?? 0 })}; ` +
          `without ${JSON.stringify({ perWindow: perWindow(aloneTimes, 10_000), busiest: busiestWindow(aloneTimes, 10_000), status429: alone.statusCounts()[429] ?? 0, failed: answersAlone.filter((answer) => answer.body.errors).length })}\n`,
      );
    } finally {
      await Promise.all([...withRedis, ...withoutRedis].map((instance) => instance.stop()));
      await Promise.all([shared.close(), alone.close()]);
    }
  }, 60_000);
});

describe('the private cache across instances', () => {
  let sandbox: SandboxUpstream;
  let group: Instance[];
  let invalidator: RedisConnection;

  beforeAll(async () => {
    sandbox = await startSandboxUpstream();
    group = await instances(sandbox, 2, { redis: { url: redis.url }, cache: { ttlSeconds: 30 } });
    invalidator = await RedisConnection.open({ ...loadConfig({}).redis, url: redis.url });
  });

  afterAll(async () => {
    await Promise.all(group.map((instance) => instance.stop()));
    await invalidator.close();
    await sandbox.close();
  });

  it('serves instance 2 what instance 1 fetched for the same token, never another token, and calls again after invalidation', async () => {
    const [first, second] = group as [Instance, Instance];
    const id = SANDBOX_IDS.phone;
    await expect(first.graphql(oneQuery, { variables: { id } })).resolves.toMatchObject({ body: { data: { conversation: { id } } } });
    expect(sandbox.callsFor(id)).toBe(1);

    const again = await second.graphql(oneQuery, { variables: { id } });
    expect(again.body).toEqual({ data: { conversation: { id, unreadCount: expect.any(Number) } } });
    expect(sandbox.callsFor(id)).toBe(1);
    const line = second.logs.map((raw) => JSON.parse(raw) as Record<string, unknown>).find((entry) => entry.msg === 'graphql operation');
    expect(line).toMatchObject({ upstreamCalls: 0, cacheHits: 1 });
    expect(await metric(second, 'conversation_cache_lookups_total{outcome="hit"}')).toBe(1);

    // Another token of the same location: its own call, never the first token's answer.
    await second.graphql(oneQuery, { variables: { id }, token: SANDBOX_SECOND_TOKEN_A });
    expect(sandbox.callsFor(id)).toBe(2);

    // One invalidation for every token, from anywhere (the webhook issue's use): both call again.
    await new SharedConversationCache(invalidator, { ttlMs: 30_000 }).invalidate(id);
    await first.graphql(oneQuery, { variables: { id } });
    await second.graphql(oneQuery, { variables: { id }, token: SANDBOX_SECOND_TOKEN_A });
    expect(sandbox.callsFor(id)).toBe(4);
    // Errors are not kept: a forbidden read (location B's token) is asked again.
    await first.graphql(oneQuery, { variables: { id }, token: 'pit-3e924b24-9d07-4a85-875a-497b2d608a14' });
    await second.graphql(oneQuery, { variables: { id }, token: 'pit-3e924b24-9d07-4a85-875a-497b2d608a14' });
    expect(sandbox.callsFor(id)).toBe(6);
  });
});

describe('Redis going away in the middle of a run', () => {
  it('never fails a request: degraded while it is gone, shared again by itself once it is back', async () => {
    const sandbox = await startSandboxUpstream({ generatedConversations: 50 });
    const group = await instances(sandbox, 2, { redis: { url: redis.url }, cache: { ttlSeconds: 30 } });
    const [first, second] = group as [Instance, Instance];
    let stop = false;
    const answers: Array<Awaited<ReturnType<Instance['graphql']>>> = [];
    // Steady traffic on both instances throughout.
    const traffic = (async () => {
      for (let i = 0; !stop; i += 1) {
        const instance = i % 2 === 0 ? first : second;
        answers.push(await instance.graphql(oneQuery, { variables: { id: generatedConversationId(i % 50) } }));
      }
    })();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await redis.kill();
      await new Promise((resolve) => setTimeout(resolve, 700));
      const readiness = await fetch(`${first.service.url}/readyz`);
      expect(readiness.status).toBe(200);
      await expect(readiness.json()).resolves.toEqual({ status: 'degraded', redis: 'unavailable' });
      expect(await metric(first, 'redis_up')).toBe(0);
      expect(await metric(first, 'redis_errors_total')).toBeGreaterThan(0);

      await redis.restart();
      const back = Date.now();
      while ((await metric(first, 'redis_up')) !== 1 || (await metric(second, 'redis_up')) !== 1) {
        expect(Date.now() - back).toBeLessThan(5000);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await expect((await fetch(`${first.service.url}/readyz`)).json()).resolves.toEqual({ status: 'ready' });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      stop = true;
      await traffic;
    }
    try {
      expect(answers.length).toBeGreaterThan(20);
      for (const answer of answers) {
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.data?.conversation).toMatchObject({ id: expect.any(String) });
      }
      // One warning per outage, not one per request.
      const warnings = first.logs.filter((raw) => raw.includes('Redis unavailable'));
      expect(warnings).toHaveLength(1);
      // Shared again: the budget is back in Redis, and instance 2 is served what instance 1 fetched.
      const id = SANDBOX_IDS.email;
      await first.graphql(oneQuery, { variables: { id } });
      await second.graphql(oneQuery, { variables: { id } });
      expect(sandbox.callsFor(id)).toBe(1);
      const probe = await RedisConnection.open({ ...loadConfig({}).redis, url: redis.url });
      await expect(probe.client.exists(`hlgql:{budget:location:${LOCATION_A.id}}:log`)).resolves.toBe(1);
      await probe.close();
    } finally {
      await Promise.all(group.map((instance) => instance.stop()));
      await sandbox.close();
    }
  }, 30_000);
});
