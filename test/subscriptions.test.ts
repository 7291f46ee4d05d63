// Integration tier: Subscription.conversationUpdated over a real WebSocket (graphql-ws's client, Node's
// WebSocket) against the service and the sandbox: a signed webhook reaches the subscriber, a token hears
// only of conversations it may read, admission and drain, and with Redis, across two instances.
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Client, createClient } from 'graphql-ws';
import { SANDBOX_IDS } from '../sandbox/data.js';
import { startSandboxUpstream, type SandboxUpstream } from '../sandbox/upstream.js';
import { type TestRedis, startRedis } from './support/redis-server.js';
import { type Instance, LOCATION_A, LOCATION_B, stackPerTest, startInstance } from './support/stack.js';

const keyPair = generateKeyPairSync('ed25519');
const webhooks = { signaturePublicKey: keyPair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
const SUBSCRIPTION = 'subscription Live($ids: [ID!]!) { conversationUpdated(ids: $ids) { id unreadCount starred type } }';

let sequence = 0;
async function unreadUpdate(baseUrl: string, id: string, unreadCount: number): Promise<number> {
  sequence += 1;
  const body = JSON.stringify({ type: 'ConversationUnreadUpdate', locationId: LOCATION_A.id, id, unreadCount, inbox: true, starred: true, deleted: false, timestamp: new Date().toISOString(), webhookId: `sub-${process.pid}-${sequence}` });
  const signature = sign(null, Buffer.from(body), keyPair.privateKey).toString('base64');
  const response = await fetch(`${baseUrl}/webhooks/highlevel`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ghl-signature': signature }, body });
  return response.status;
}

interface Subscriber {
  client: Client;
  results: Array<{ data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }>;
  /** 'complete' when the server completed it, 'error' when it ended in an error. */
  completed: Promise<'complete' | 'error'>;
  closed: Promise<{ code: number; reason: string }>;
}

function subscribe(baseUrl: string, ids: string[], token: string | null): Subscriber {
  let onClosed!: (event: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const client = createClient({
    url: `${baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { closed: (event) => onClosed({ code: (event as CloseEvent).code, reason: (event as CloseEvent).reason }) },
  });
  const results: Subscriber['results'] = [];
  const completed = new Promise<'complete' | 'error'>((resolve) => {
    client.subscribe({ query: SUBSCRIPTION, variables: { ids } }, { next: (result) => void results.push(result as Subscriber['results'][number]), error: () => resolve('error'), complete: () => resolve('complete') });
  });
  return { client, results, completed, closed };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe('Subscription.conversationUpdated', () => {
  const start = stackPerTest();

  it('end to end: a change in the sandbox, its signed webhook, and the subscriber receives the new unreadCount without an upstream call', async () => {
    const stack = await start({ live: true, config: { cache: { ttlSeconds: 60 } } });
    const subscriber = subscribe(stack.service.url, [SANDBOX_IDS.phone, SANDBOX_IDS.email], LOCATION_A.token);
    await until(() => stack.sandbox.callsFor(SANDBOX_IDS.phone) === 1 && stack.sandbox.callsFor(SANDBOX_IDS.email) === 1, 'the first reads');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const change = await fetch(`${stack.sandbox.url}/sandbox/conversations/${SANDBOX_IDS.phone}`, { method: 'POST', body: JSON.stringify({ unreadCount: 7, starred: false }) });
    await expect(change.json()).resolves.toMatchObject({ conversation: { id: SANDBOX_IDS.phone, unreadCount: 7, starred: false }, webhook: { status: 200, body: { status: 'applied' } } });
    await until(() => subscriber.results.length === 1, 'the change');
    expect(subscriber.results[0]).toEqual({ data: { conversationUpdated: { id: SANDBOX_IDS.phone, unreadCount: 7, starred: false, type: 'PHONE' } } });
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(1);
    // The cache was invalidated: a query reads the changed conversation.
    await expect(stack.graphql('query { conversation(id: "tDtDnQdgm2LXpyiqYvZ6") { unreadCount } }')).resolves.toMatchObject({ body: { data: { conversation: { unreadCount: 7 } } } });
    await subscriber.client.dispose();
  });

  it('answers bad changes at the sandbox with 400 or 404, sending no webhook', async () => {
    const stack = await start({ live: true });
    const post = (id: string, body: string) => fetch(`${stack.sandbox.url}/sandbox/conversations/${id}`, { method: 'POST', body });
    expect((await post(SANDBOX_IDS.phone, '{"type": 2}')).status).toBe(400);
    expect((await post(SANDBOX_IDS.phone, '{"unreadCount": -1}')).status).toBe(400);
    expect((await post(SANDBOX_IDS.phone, 'nope')).status).toBe(400);
    expect((await post('doesNotExist00000000', '{"unreadCount": 1}')).status).toBe(404);
    expect(await (await fetch(`${stack.service.url}/metrics`)).text()).not.toContain('webhook_deliveries_total{');
  });

  it('fails a subscription to a conversation the token may not read with FORBIDDEN, and never streams it', async () => {
    const stack = await start({ config: { webhooks } });
    const subscriber = subscribe(stack.service.url, [SANDBOX_IDS.phone], LOCATION_B.token);
    await subscriber.completed;
    expect(subscriber.results).toHaveLength(1);
    expect(subscriber.results[0]?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await unreadUpdate(stack.service.url, SANDBOX_IDS.phone, 9)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(subscriber.results).toHaveLength(1);
    await subscriber.client.dispose();
  });

  it("takes the token from the upgrade request's Authorization header as well (a router's propagated header)", async () => {
    const stack = await start();
    const { WebSocket: NodeWebSocket } = await import('ws');
    const authorization = `Bearer ${LOCATION_A.token}`;
    const client = createClient({
      url: `${stack.service.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: class extends NodeWebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { authorization } });
        }
      },
      retryAttempts: 0,
    });
    const first = await new Promise<unknown>((resolve) => {
      client.subscribe({ query: SUBSCRIPTION, variables: { ids: [SANDBOX_IDS.phone] } }, { next: resolve, error: resolve, complete: () => resolve('complete') });
      void until(() => stack.sandbox.callsFor(SANDBOX_IDS.phone) === 1, 'the first read').then(() => resolve('read'), resolve);
    });
    expect(first).toBe('read');
    expect(stack.sandbox.requests.find((request) => request.conversationId === SANDBOX_IDS.phone)?.headers.authorization).toBe(authorization);
    await client.dispose();
  });

  it('closes a connection without a token with 4401 after connection_init', async () => {
    const stack = await start();
    const subscriber = subscribe(stack.service.url, [SANDBOX_IDS.phone], null);
    await expect(subscriber.closed).resolves.toMatchObject({ code: 4401 });
    expect(stack.sandbox.totalCalls()).toBe(0);
  });

  it('suggests no field names while introspection is off, and validates with the query limits', async () => {
    const stack = await start({ config: { graphql: { production: true, introspection: false }, limits: { maxDepth: 2 } } });
    const refusal = (query: string) =>
      new Promise<string>((resolve) => {
        const client = createClient({ url: `${stack.service.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${LOCATION_A.token}` }, retryAttempts: 0 });
        client.subscribe({ query }, { next: () => undefined, error: (error) => (void client.dispose(), resolve(JSON.stringify(error))), complete: () => resolve('completed') });
      });
    const typo = await refusal(`subscription { conversationUpdated(ids: ["${SANDBOX_IDS.phone}"]) { unreadCont } }`);
    expect(typo).toContain('Cannot query field');
    expect(typo).not.toContain('Did you mean');
    expect(await refusal(`subscription { conversationUpdated(ids: ["${SANDBOX_IDS.phone}"]) { contact { id } location { id } } }`)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(await refusal('subscription { __schema { types { name } } }')).toContain('introspection');
  });

  it('survives an upgrade request it cannot parse, and a client that resets an upgraded socket', async () => {
    const stack = await start();
    const { connect } = await import('node:net');
    const { port } = stack.service;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('GET /graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n');
        setTimeout(() => {
          socket.resetAndDestroy();
          resolve();
        }, 50);
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await fetch(`${stack.service.url}/healthz`)).status).toBe(200);
  });

  it('refuses a subscription over HTTP, pointing at the WebSocket', async () => {
    const stack = await start();
    const answer = await stack.graphql(SUBSCRIPTION, { variables: { ids: [SANDBOX_IDS.phone] } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.[0]?.message).toContain('served over WebSocket');
  });

  it('gives each subscription of a long-lived connection its own first reads and deadline', async () => {
    const stack = await start({ config: { limits: { operationDeadlineMs: 300 } } });
    const subscriber = subscribe(stack.service.url, [SANDBOX_IDS.phone], LOCATION_A.token);
    await until(() => stack.sandbox.callsFor(SANDBOX_IDS.phone) === 1, 'the first read');
    // Past the first subscription's deadline, on the same connection: a fresh read, not a cached record or DEADLINE_EXCEEDED.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const later: unknown[] = [];
    subscriber.client.subscribe({ query: SUBSCRIPTION, variables: { ids: [SANDBOX_IDS.phone] } }, { next: (result) => void later.push(result), error: (error) => void later.push(error), complete: () => undefined });
    await until(() => stack.sandbox.callsFor(SANDBOX_IDS.phone) === 2, 'the second read');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(later).toEqual([]);
    await subscriber.client.dispose();
  });

  it('frees a completed subscription\'s place on a quiet conversation: a connection can subscribe and unsubscribe past the cap', async () => {
    const stack = await start({ config: { limits: { maxSubscriptionsPerConnection: 2 } } });
    const subscriber = subscribe(stack.service.url, [SANDBOX_IDS.phone], LOCATION_A.token);
    await until(() => stack.sandbox.callsFor(SANDBOX_IDS.phone) === 1, 'the first read');
    for (let round = 0; round < 5; round += 1) {
      const errors: unknown[] = [];
      const before = stack.sandbox.callsFor(SANDBOX_IDS.email);
      const stop = subscriber.client.subscribe({ query: SUBSCRIPTION, variables: { ids: [SANDBOX_IDS.email] } }, { next: () => undefined, error: (error) => void errors.push(error), complete: () => undefined });
      await until(() => stack.sandbox.callsFor(SANDBOX_IDS.email) === before + 1 || errors.length > 0, `round ${round}`);
      expect(errors).toEqual([]);
      stop();
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await subscriber.client.dispose();
  });

  it('holds at most MAX_SUBSCRIPTIONS_PER_CONNECTION subscriptions on one connection', async () => {
    const stack = await start({ config: { limits: { maxSubscriptionsPerConnection: 1 } } });
    const subscriber = subscribe(stack.service.url, [SANDBOX_IDS.phone], LOCATION_A.token);
    await until(() => stack.sandbox.callsFor(SANDBOX_IDS.phone) === 1, 'the first read');
    const second = await new Promise<unknown>((resolve) => {
      subscriber.client.subscribe({ query: SUBSCRIPTION, variables: { ids: [SANDBOX_IDS.email] } }, { next: () => undefined, error: resolve, complete: () => resolve('completed') });
    });
    expect(JSON.stringify(second)).toContain('MAX_SUBSCRIPTIONS_PER_CONNECTION');
    await subscriber.client.dispose();
  });

  it('refuses the upgrade from an origin CORS_ALLOWED_ORIGINS does not list (cross-site WebSocket hijacking)', async () => {
    const stack = await start({ config: { http: { port: 0, corsAllowedOrigins: ['https://app.example.com'] } } });
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve) => {
      const upgrade = request(`${stack.service.url}/graphql`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', origin: 'https://evil.example', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-protocol': 'graphql-transport-ws' },
      });
      upgrade.on('response', (response) => resolve(response.statusCode));
      upgrade.on('upgrade', () => resolve(101));
      upgrade.on('error', () => resolve(undefined));
      upgrade.end();
    });
    expect(status).toBe(403);
  });

  it('completes open subscriptions and closes their sockets with 1001 when the service stops', async () => {
    const stack = await start({ config: { webhooks } });
    const subscriber = subscribe(stack.service.url, [SANDBOX_IDS.phone], LOCATION_A.token);
    await until(() => stack.sandbox.callsFor(SANDBOX_IDS.phone) === 1, 'the first read');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stack.service.stop();
    await expect(subscriber.completed).resolves.toBe('complete');
    await expect(subscriber.closed).resolves.toMatchObject({ code: 1001 });
  });
});

describe('subscriptions across instances with Redis', () => {
  let redis: TestRedis;
  let sandbox: SandboxUpstream;
  let group: Instance[];

  beforeAll(async () => {
    redis = await startRedis();
    sandbox = await startSandboxUpstream();
    group = await Promise.all([0, 1].map(() => startInstance(sandbox, { config: { webhooks, redis: { url: redis.url } } })));
  });

  afterAll(async () => {
    await Promise.all(group.map((instance) => instance.stop()));
    await sandbox.close();
    await redis.stop();
  });

  it('joins the other instances once Redis appears, after a start without it', async () => {
    const late = await startRedis();
    await late.kill();
    const pair = await Promise.all([0, 1].map(() => startInstance(sandbox, { config: { webhooks, redis: { url: late.url } } })));
    try {
      await late.restart();
      const up = async (instance: Instance) => (await (await fetch(`${instance.service.url}/readyz`)).json()) as { status: string };
      for (let i = 0; i < 100 && ((await up(pair[0] as Instance)).status !== 'ready' || (await up(pair[1] as Instance)).status !== 'ready'); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const subscriber = subscribe((pair[1] as Instance).service.url, [SANDBOX_IDS.email], LOCATION_A.token);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await unreadUpdate((pair[0] as Instance).service.url, SANDBOX_IDS.email, 6)).toBe(200);
      await until(() => subscriber.results.length === 1, 'the change from the other instance');
      expect(subscriber.results[0]).toMatchObject({ data: { conversationUpdated: { unreadCount: 6 } } });
      await subscriber.client.dispose();
    } finally {
      await Promise.all(pair.map((instance) => instance.stop()));
      await late.stop();
    }
  }, 30_000);

  it('delivers a webhook received by one instance to a subscriber of the other', async () => {
    const [first, second] = group as [Instance, Instance];
    const subscriber = subscribe(second.service.url, [SANDBOX_IDS.facebook], LOCATION_A.token);
    await until(() => sandbox.callsFor(SANDBOX_IDS.facebook) === 1, 'the first read');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await unreadUpdate(first.service.url, SANDBOX_IDS.facebook, 4)).toBe(200);
    await until(() => subscriber.results.length === 1, 'the change from the other instance');
    expect(subscriber.results[0]).toMatchObject({ data: { conversationUpdated: { id: SANDBOX_IDS.facebook, unreadCount: 4 } } });
    await subscriber.client.dispose();
  });
});
