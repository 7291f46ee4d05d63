// Integration tier: the sandbox upstream itself, over loopback: its seed data, HighLevel's protocol
// (lookups, authentication, errors) and its request log. Faults and limits have their own files.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  SANDBOX_API_VERSIONS,
  SANDBOX_CONVERSATIONS,
  SANDBOX_IDS,
  SANDBOX_LOCATION_A,
  SANDBOX_LOCATION_B,
} from '../sandbox/data.js';
import { startSandboxUpstream } from '../sandbox/upstream.js';
import type { SandboxUpstream } from '../sandbox/upstream.js';
import { RATE_LIMIT_HEADERS, VERSION, call, getConversation, seeded } from './support/sandbox-client.js';

describe('sandbox seed data', () => {
  const bodies = SANDBOX_CONVERSATIONS.map((conversation) => conversation.body);

  it('uses 20-character alphanumeric ids for conversations, contacts, users and locations', () => {
    const ids = bodies.flatMap((body) => [body.id, body.contactId, body.locationId, body.assignedTo ?? body.id]);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(new Set(bodies.map((body) => body.id)).size).toBe(bodies.length);
  });

  it('covers every channel type, both assignment states, every starred state and the edge records', () => {
    expect(new Set(bodies.map((body) => body.type))).toEqual(new Set([1, 2, 3, 4, 5, 6, 99, 'TYPE_EMAIL']));
    expect(bodies.some((body) => body.assignedTo === undefined)).toBe(true);
    expect(new Set(bodies.map((body) => body.starred))).toEqual(new Set([true, false, undefined]));
    expect(bodies.some((body) => body.deleted && !body.inbox)).toBe(true);
    expect(SANDBOX_CONVERSATIONS.filter((conversation) => conversation.wrapped)).toHaveLength(1);
    expect(new Set(SANDBOX_CONVERSATIONS.map((conversation) => conversation.location))).toEqual(
      new Set([SANDBOX_LOCATION_A, SANDBOX_LOCATION_B]),
    );
  });
});

describe('sandbox upstream', () => {
  describe('with default options', () => {
    let sandbox: SandboxUpstream;

    beforeAll(async () => {
      sandbox = await startSandboxUpstream();
    });
    afterEach(() => sandbox.reset());
    afterAll(() => sandbox.close());

    it('listens on 127.0.0.1 on an ephemeral port and reports its url without a trailing slash', () => {
      expect(sandbox.port).toBeGreaterThan(0);
      expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    });

    describe('successful lookups', () => {
      it('serves a seeded conversation as its flat body with a JSON content type', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
        const text = await response.text();
        expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
        expect(JSON.parse(text)).toEqual(seeded(SANDBOX_IDS.phone).body);
      });

      it("serves every seeded conversation to its own location's token", async () => {
        for (const conversation of SANDBOX_CONVERSATIONS) {
          const response = await getConversation(sandbox, conversation.body.id, { token: conversation.location.token });
          expect(response.status).toBe(200);
          const body = (await response.json()) as Record<string, unknown>;
          expect(conversation.wrapped ? body['conversation'] : body).toEqual(conversation.body);
        }
      });

      it('wraps the wrapped record as { success: true, conversation, traceId }', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.wrapped);
        expect(await response.json()).toEqual({
          success: true,
          conversation: seeded(SANDBOX_IDS.wrapped).body,
          traceId: expect.any(String),
        });
      });

      it('passes extra keys, a future channel number and a string channel through untouched', async () => {
        const extra = (await (await getConversation(sandbox, SANDBOX_IDS.extraKeys)).json()) as Record<string, unknown>;
        expect(extra).toMatchObject({ lastMessageBody: expect.any(String), dateAdded: expect.any(Number), tags: expect.any(Array) });
        expect(await (await getConversation(sandbox, SANDBOX_IDS.futureChannel)).json()).toMatchObject({ type: 99 });
        expect(await (await getConversation(sandbox, SANDBOX_IDS.stringType)).json()).toMatchObject({ type: 'TYPE_EMAIL' });
      });

      it('accepts every published Version value', async () => {
        for (const version of SANDBOX_API_VERSIONS) {
          expect((await getConversation(sandbox, SANDBOX_IDS.email, { version })).status).toBe(200);
        }
      });

      it('ignores the query string when routing', async () => {
        expect((await call(sandbox, `/conversations/${SANDBOX_IDS.phone}?locationId=x`)).status).toBe(200);
      });

      it('sends every rate-limit header on a success', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        for (const name of RATE_LIMIT_HEADERS) expect(response.headers.get(name)).toMatch(/^\d+$/);
        expect(response.headers.get('x-ratelimit-max')).toBe('100');
        expect(response.headers.get('x-ratelimit-remaining')).toBe('99');
        expect(response.headers.get('x-ratelimit-interval-milliseconds')).toBe('10000');
        expect(response.headers.get('x-ratelimit-limit-daily')).toBe('200000');
        expect(response.headers.get('x-ratelimit-daily-remaining')).toBe('199999');
        expect(Number(response.headers.get('x-ratelimit-daily-reset'))).toBeGreaterThan(Date.now());
      });
    });

    describe('authentication', () => {
      it('answers 401 "version header was not found." without a Version header', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.phone, { version: null });
        expect(response.status).toBe(401);
        expect(await response.json()).toEqual({
          statusCode: 401,
          message: 'version header was not found.',
          error: 'Unauthorized',
          traceId: expect.any(String),
        });
      });

      it('answers 401 "version header is invalid" for an unknown Version', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.phone, { version: '2020-01-01' });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ statusCode: 401, message: 'version header is invalid', error: 'Unauthorized' });
      });

      it('answers 401 "Invalid token" without rate-limit headers for an unknown token', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.phone, { token: 'pit-00000000-0000-0000-0000-000000000000' });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({
          statusCode: 401,
          message: 'Invalid token: access token is invalid',
          error: 'Unauthorized',
        });
        expect(response.headers.get('x-ratelimit-remaining')).toBeNull();
      });

      it('answers 401 "Invalid token" without an Authorization header', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.phone, { token: null });
        expect(response.status).toBe(401);
        expect(await response.json()).toMatchObject({ message: 'Invalid token: access token is invalid' });
      });

      it('sends rate-limit headers on a 401 for a known token without counting it', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.phone, { version: null });
        expect(response.status).toBe(401);
        expect(response.headers.get('x-ratelimit-remaining')).toBe('100');
      });
    });

    describe('lookup errors', () => {
      it('answers 403 for a conversation of another location', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.otherLocation, { token: SANDBOX_LOCATION_A.token });
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({
          statusCode: 403,
          message: 'The token does not have access to this location.',
          traceId: expect.any(String),
        });
        expect(response.headers.get('x-ratelimit-remaining')).toBe('99');
      });

      it('answers 404 "Conversation not found" for an unknown id', async () => {
        const response = await getConversation(sandbox, SANDBOX_IDS.missing);
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ statusCode: 404, message: 'Conversation not found', error: 'Not Found' });
      });

      it('answers 422 with an array message for an id with forbidden characters or over 64 characters', async () => {
        for (const id of ['a/b', 'has space', 'x'.repeat(65)]) {
          const response = await getConversation(sandbox, id);
          expect(response.status).toBe(422);
          expect(await response.json()).toMatchObject({
            statusCode: 422,
            message: ['conversationId must be a valid id'],
            error: 'Unprocessable Entity',
          });
        }
      });

      it('answers a NestJS-style 404 naming the method and path for any other route', async () => {
        const cases = [
          { method: 'GET', path: '/conversations' },
          { method: 'GET', path: '/conversations/a/b' },
          { method: 'GET', path: '/conversations/' },
          { method: 'DELETE', path: `/conversations/${SANDBOX_IDS.phone}` },
        ];
        for (const { method, path } of cases) {
          const response = await call(sandbox, path, { method });
          expect(response.status).toBe(404);
          expect(await response.json()).toMatchObject({ statusCode: 404, message: `Cannot ${method} ${path}`, error: 'Not Found' });
        }
      });

      it('answers 400 for a malformed percent escape', async () => {
        const response = await call(sandbox, '/conversations/abc%E0%A4%A');
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ statusCode: 400, message: 'Bad Request', error: 'Bad Request' });
      });
    });


    describe('request log and counters', () => {
      it('records the raw path, method, headers and decoded id of each request', async () => {
        await call(sandbox, '/conversations/a%2Fb?x=1');
        await call(sandbox, '/nowhere');
        expect(sandbox.requests).toEqual([
          {
            method: 'GET',
            path: '/conversations/a%2Fb?x=1',
            headers: expect.objectContaining({ version: VERSION, authorization: `Bearer ${SANDBOX_LOCATION_A.token}` }),
            conversationId: 'a/b',
            at: expect.any(Number),
          },
          { method: 'GET', path: '/nowhere', headers: expect.any(Object), at: expect.any(Number) },
        ]);
      });

      it('counts every request in totalCalls() and requests for an id in callsFor()', async () => {
        await getConversation(sandbox, SANDBOX_IDS.phone);
        await getConversation(sandbox, SANDBOX_IDS.phone, { version: null });
        await getConversation(sandbox, SANDBOX_IDS.email);
        await call(sandbox, '/nowhere');
        expect(sandbox.totalCalls()).toBe(4);
        expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(2);
        expect(sandbox.callsFor(SANDBOX_IDS.email)).toBe(1);
        expect(sandbox.callsFor(SANDBOX_IDS.review)).toBe(0);
      });

      it('forgets requests, counters and faults on reset()', async () => {
        await getConversation(sandbox, SANDBOX_IDS.phone);
        sandbox.setFault('*', { kind: 'status', status: 500 });
        sandbox.reset();
        expect(sandbox.requests).toHaveLength(0);
        expect(sandbox.totalCalls()).toBe(0);
        expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(0);
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(200);
        expect(response.headers.get('x-ratelimit-remaining')).toBe('99');
      });
    });
  });

});
