// Integration tier: POST /webhooks/highlevel over loopback, signed with test key pairs the way HighLevel
// signs (Ed25519 over the raw body in x-ghl-signature, RSA-SHA256 in x-wh-signature): every refusal,
// replay protection, and a verified change invalidating the cached answers. With Redis, two instances
// share what they remember of deliveries.
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_IDS, SANDBOX_SECOND_TOKEN_A } from '../sandbox/data.js';
import { startSandboxUpstream } from '../sandbox/upstream.js';
import { type TestRedis, startRedis } from './support/redis-server.js';
import { type Instance, stackPerSuite, stackPerTest, startInstance } from './support/stack.js';

const ed25519 = generateKeyPairSync('ed25519');
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherEd25519 = generateKeyPairSync('ed25519');
const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString();
/** The base64 of the raw 32 bytes, the other form HighLevel's docs show a key in. */
const rawBase64 = (key: KeyObject) => (key.export({ type: 'spki', format: 'der' }) as Buffer).subarray(-32).toString('base64');
const keys = { webhooks: { signaturePublicKey: rawBase64(ed25519.publicKey), publicKey: pem(rsa.publicKey) } };

let sequence = 0;
function event(type: string, fields: Record<string, unknown>, at = Date.now()): Record<string, unknown> {
  sequence += 1;
  return { type, locationId: 'HnmebVUANpmBeWIoHB6L', timestamp: new Date(at).toISOString(), webhookId: `wh-${process.pid}-${sequence}`, ...fields };
}

type Signing = { ed25519?: KeyObject | string | null; rsa?: KeyObject | string | null };

async function deliver(url: string, body: string | Record<string, unknown>, signing: Signing = { ed25519: ed25519.privateKey }) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const signature = (key: KeyObject | string, algorithm: string | null) => (typeof key === 'string' ? key : sign(algorithm, Buffer.from(raw), key).toString('base64'));
  if (signing.ed25519) headers['x-ghl-signature'] = signature(signing.ed25519, null);
  if (signing.rsa) headers['x-wh-signature'] = signature(signing.rsa, 'sha256');
  const response = await fetch(`${url}/webhooks/highlevel`, { method: 'POST', headers, body: raw });
  return { status: response.status, body: (await response.json()) as { status: string; error?: string } };
}

const oneQuery = 'query One($id: ID!) { conversation(id: $id) { id unreadCount } }';

describe('POST /webhooks/highlevel', () => {
  const stack = stackPerSuite({ config: { ...keys, cache: { ttlSeconds: 60 } } });
  const url = () => stack.service.url;
  const unread = (at?: number) => event('ConversationUnreadUpdate', { id: SANDBOX_IDS.phone, contactId: 'c', unreadCount: 3, inbox: true, starred: false, deleted: false }, at);

  it('applies a verified change: the cached answer is dropped for every token and read again', async () => {
    const bothTokens = async () => {
      await stack.graphql(oneQuery, { variables: { id: SANDBOX_IDS.phone } });
      await stack.graphql(oneQuery, { variables: { id: SANDBOX_IDS.phone }, token: SANDBOX_SECOND_TOKEN_A });
    };
    await bothTokens();
    await bothTokens();
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(2);
    await expect(deliver(url(), unread())).resolves.toEqual({ status: 200, body: { status: 'applied' } });
    await bothTokens();
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(4);
    // A message in the conversation (signed the older way, RSA) does the same.
    await expect(deliver(url(), event('InboundMessage', { conversationId: SANDBOX_IDS.phone, body: 'hi' }), { rsa: rsa.privateKey })).resolves.toEqual({ status: 200, body: { status: 'applied' } });
    await stack.graphql(oneQuery, { variables: { id: SANDBOX_IDS.phone } });
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(5);
  });

  it('acknowledges a redelivered webhookId and an event older than the last applied, changing nothing', async () => {
    const first = unread();
    await expect(deliver(url(), first)).resolves.toMatchObject({ status: 200, body: { status: 'applied' } });
    await stack.graphql(oneQuery, { variables: { id: SANDBOX_IDS.phone } });
    const calls = stack.sandbox.callsFor(SANDBOX_IDS.phone);
    await expect(deliver(url(), first)).resolves.toEqual({ status: 200, body: { status: 'duplicate' } });
    await expect(deliver(url(), unread(Date.parse(first.timestamp as string) - 1000))).resolves.toEqual({ status: 200, body: { status: 'outdated' } });
    await stack.graphql(oneQuery, { variables: { id: SANDBOX_IDS.phone } });
    expect(stack.sandbox.callsFor(SANDBOX_IDS.phone)).toBe(calls);
  });

  it('applies two different events of the same millisecond (a message and its unread update)', async () => {
    const at = Date.now();
    await expect(deliver(url(), event('InboundMessage', { conversationId: SANDBOX_IDS.email, body: 'x' }, at))).resolves.toMatchObject({ body: { status: 'applied' } });
    await expect(deliver(url(), event('ConversationUnreadUpdate', { id: SANDBOX_IDS.email, unreadCount: 1 }, at))).resolves.toMatchObject({ body: { status: 'applied' } });
  });

  it.each([
    ['a missing signature', {}, 'unsigned'],
    ['a signature by another key', { ed25519: otherEd25519.privateKey }, 'bad_signature'],
    ['a signature that is not base64 of the right length', { ed25519: 'bm90LWEtc2lnbmF0dXJl' }, 'bad_signature'],
    ['a valid RSA signature beside a wrong Ed25519 one (Ed25519 is preferred)', { ed25519: otherEd25519.privateKey, rsa: rsa.privateKey }, 'bad_signature'],
  ] as Array<[string, Signing, string]>)('refuses %s with 401', async (_name, signing, outcome) => {
    await expect(deliver(url(), unread(), signing)).resolves.toMatchObject({ status: 401, body: { status: outcome } });
  });

  it('refuses a tampered body with 401: the signature covers the raw bytes', async () => {
    const body = JSON.stringify(unread());
    const signature = sign(null, Buffer.from(body), ed25519.privateKey).toString('base64');
    const tampered = body.replace('"unreadCount":3', '"unreadCount":0');
    const response = await fetch(`${url()}/webhooks/highlevel`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ghl-signature': signature }, body: tampered });
    expect(response.status).toBe(401);
  });

  it('refuses a timestamp beyond WEBHOOK_MAX_AGE_SECONDS in either direction with 401', async () => {
    await expect(deliver(url(), unread(Date.now() - 301_000))).resolves.toMatchObject({ status: 401, body: { status: 'expired' } });
    await expect(deliver(url(), unread(Date.now() + 301_000))).resolves.toMatchObject({ status: 401, body: { status: 'expired' } });
  });

  it('answers 400 for a verified body that is not JSON or lacks type, 413 over the size limit, 200 for a type not handled', async () => {
    await expect(deliver(url(), 'not json')).resolves.toMatchObject({ status: 400, body: { status: 'malformed' } });
    await expect(deliver(url(), { timestamp: new Date().toISOString(), webhookId: 'x' })).resolves.toMatchObject({ status: 400, body: { error: 'Verified, but the body has no "type".' } });
    await expect(deliver(url(), { ...unread(), padding: 'x'.repeat(70_000) })).resolves.toMatchObject({ status: 413, body: { status: 'too_large' } });
    await expect(deliver(url(), event('ContactCreate', { id: 'contact-1' }))).resolves.toEqual({ status: 200, body: { status: 'ignored' } });
  });

  it('never logs a message body, and counts every outcome', async () => {
    await deliver(url(), event('OutboundMessage', { conversationId: SANDBOX_IDS.email, body: 'the-private-message-text' }));
    expect(stack.logs.join('\n')).not.toContain('the-private-message-text');
    const text = await (await fetch(`${url()}/metrics`)).text();
    expect(text).toMatch(/webhook_deliveries_total\{outcome="applied"\} [1-9]/);
    expect(text).toMatch(/webhook_deliveries_total\{outcome="bad_signature"\} [1-9]/);
  });
});

describe('webhooks configuration', () => {
  const start = stackPerTest();

  it('answers 404 when no key is configured', async () => {
    const stack = await start();
    expect((await fetch(`${stack.service.url}/webhooks/highlevel`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('accepts an Ed25519 key in PEM as well, and answers 405 to anything but POST', async () => {
    const stack = await start({ config: { webhooks: { signaturePublicKey: pem(ed25519.publicKey) } } });
    await expect(deliver(stack.service.url, event('ContactCreate', {}))).resolves.toMatchObject({ status: 200 });
    expect((await fetch(`${stack.service.url}/webhooks/highlevel`)).status).toBe(405);
  });
});

describe('webhooks across instances with Redis', () => {
  let redis: TestRedis;
  let group: Instance[];
  let close: () => Promise<void>;

  beforeAll(async () => {
    redis = await startRedis();
    const sandbox = await startSandboxUpstream();
    group = await Promise.all([0, 1].map(() => startInstance(sandbox, { config: { ...keys, redis: { url: redis.url }, cache: { ttlSeconds: 60 } } })));
    close = async () => {
      await Promise.all(group.map((instance) => instance.stop()));
      await sandbox.close();
      await redis.stop();
    };
  });

  afterAll(async () => {
    await close();
  });

  it('share replay protection and the last applied event: a delivery to one is a duplicate at the other', async () => {
    const [first, second] = group as [Instance, Instance];
    const change = event('ConversationUnreadUpdate', { id: SANDBOX_IDS.facebook, unreadCount: 1 });
    await expect(deliver(first.service.url, change)).resolves.toMatchObject({ body: { status: 'applied' } });
    await expect(deliver(second.service.url, change)).resolves.toMatchObject({ body: { status: 'duplicate' } });
    const older = event('ConversationUnreadUpdate', { id: SANDBOX_IDS.facebook, unreadCount: 0 }, Date.parse(change.timestamp as string) - 5000);
    await expect(deliver(second.service.url, older)).resolves.toMatchObject({ body: { status: 'outdated' } });
  });
});
