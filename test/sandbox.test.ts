// Integration tier: the sandbox upstream itself, over loopback: HighLevel's protocol, limits and faults.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, get as httpGet } from 'node:http';

import {
  SANDBOX_API_VERSIONS,
  SANDBOX_CONVERSATIONS,
  SANDBOX_FAULT_IDS,
  SANDBOX_FAULT_RETRY_AFTER_SECONDS,
  SANDBOX_IDS,
  SANDBOX_LOCATION_A,
  SANDBOX_LOCATION_B,
} from '../sandbox/data.js';
import type { SandboxConversation } from '../sandbox/data.js';
import { startSandboxUpstream } from '../sandbox/upstream.js';
import type { SandboxUpstream } from '../sandbox/upstream.js';

const VERSION = '2021-07-28';
const RATE_LIMIT_HEADERS = [
  'x-ratelimit-max',
  'x-ratelimit-remaining',
  'x-ratelimit-interval-milliseconds',
  'x-ratelimit-limit-daily',
  'x-ratelimit-daily-remaining',
  'x-ratelimit-daily-reset',
];

interface CallOptions {
  /** null sends no Authorization header. */
  token?: string | null;
  /** null sends no Version header. */
  version?: string | null;
  signal?: AbortSignal;
  method?: string;
}

/** Requests a raw path (not encoded further) the way the GraphQL layer's client would. */
function call(sandbox: SandboxUpstream, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = options.token === undefined ? SANDBOX_LOCATION_A.token : options.token;
  const version = options.version === undefined ? VERSION : options.version;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (version !== null) headers['Version'] = version;
  return fetch(`${sandbox.url}${path}`, { headers, method: options.method ?? 'GET', signal: options.signal });
}

function getConversation(sandbox: SandboxUpstream, id: string, options: CallOptions = {}): Promise<Response> {
  return call(sandbox, `/conversations/${encodeURIComponent(id)}`, options);
}

function seeded(id: string): SandboxConversation {
  const found = SANDBOX_CONVERSATIONS.find((conversation) => conversation.body.id === id);
  if (found === undefined) throw new Error(`no seeded conversation ${id}`);
  return found;
}

/** The error a plain node:http GET ends in (for faults that fetch would wrap in a generic TypeError). */
function httpGetError(url: string): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false }, (response) => {
      response.resume();
      reject(new Error(`expected a connection error, got HTTP ${response.statusCode}`));
    });
    request.on('error', resolve);
  });
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not met in time');
}

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

    describe('faults set with setFault', () => {
      it('waits, then answers normally, for a delay fault', async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'delay', ms: 150 });
        const started = Date.now();
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual(seeded(SANDBOX_IDS.phone).body);
      });

      it('never answers a hang fault, so the client has to give up', async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'hang' });
        await expect(getConversation(sandbox, SANDBOX_IDS.phone, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({
          name: 'TimeoutError',
        });
      });

      it("answers HighLevel's documented body for a status fault without a body", async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 500 });
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(500);
        expect(await response.json()).toEqual({ statusCode: 500, message: 'Internal server error', traceId: expect.any(String) });
        expect(response.headers.get('x-ratelimit-remaining')).toBe('100');
      });

      it.each([
        [401, { statusCode: 401, message: 'Invalid token: access token is invalid', error: 'Unauthorized' }],
        [403, { statusCode: 403, message: 'The token does not have access to this location.' }],
        [404, { statusCode: 404, message: 'Conversation not found', error: 'Not Found' }],
        [422, { statusCode: 422, message: ['Unprocessable Entity'], error: 'Unprocessable Entity' }],
        [418, { statusCode: 418, message: "I'm a Teapot", error: "I'm a Teapot" }],
      ])('answers a status fault of %d with the matching documented body', async (status, body) => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status });
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(status);
        expect(await response.json()).toEqual({ ...body, traceId: expect.any(String) });
      });

      it("sends a status fault's own JSON body and headers", async () => {
        sandbox.setFault(SANDBOX_IDS.phone, {
          kind: 'status',
          status: 401,
          body: { statusCode: 401, message: 'Invalid JWT' },
          headers: { 'X-Custom': 'yes' },
        });
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(401);
        expect(response.headers.get('x-custom')).toBe('yes');
        expect(await response.json()).toEqual({ statusCode: 401, message: 'Invalid JWT' });
      });

      it("sends a status fault's string body raw", async () => {
        sandbox.setFault(SANDBOX_IDS.phone, {
          kind: 'status',
          status: 502,
          body: '{"statusCode":50',
          headers: { 'Content-Type': 'application/json' },
        });
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(502);
        expect(response.headers.get('content-type')).toBe('application/json');
        expect(await response.text()).toBe('{"statusCode":50');
      });

      it('resets the connection for a reset fault, so the client sees ECONNRESET', async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'reset' });
        const error = await httpGetError(`${sandbox.url}/conversations/${SANDBOX_IDS.phone}`);
        expect(error.code).toBe('ECONNRESET');
      });

      it('serves an HTML page with status 200 for a not-json fault', async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'not-json' });
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/html/);
        expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
      });

      it('serves JSON that is not a conversation for an invalid-shape fault', async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'invalid-shape' });
        const response = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ foo: 'bar' });
      });

      it('applies a fault with times: 1 to the next request only', async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 503 }, { times: 1 });
        expect((await getConversation(sandbox, SANDBOX_IDS.phone)).status).toBe(503);
        expect((await getConversation(sandbox, SANDBOX_IDS.phone)).status).toBe(200);
      });

      it('applies a "*" fault to every id, and a fault for the id takes precedence', async () => {
        sandbox.setFault('*', { kind: 'status', status: 500 });
        sandbox.setFault(SANDBOX_IDS.email, { kind: 'invalid-shape' });
        expect((await getConversation(sandbox, SANDBOX_IDS.phone)).status).toBe(500);
        expect((await getConversation(sandbox, SANDBOX_IDS.missing)).status).toBe(500);
        expect(await (await getConversation(sandbox, SANDBOX_IDS.email)).json()).toEqual({ foo: 'bar' });
      });

      it('applies faults before the header checks, whatever headers the request carries', async () => {
        sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status: 503 });
        expect((await getConversation(sandbox, SANDBOX_IDS.phone, { token: null, version: null })).status).toBe(503);
      });

      it('stops applying faults after clearFaults()', async () => {
        sandbox.setFault('*', { kind: 'status', status: 500 });
        sandbox.clearFaults();
        expect((await getConversation(sandbox, SANDBOX_IDS.phone)).status).toBe(200);
      });

      it('rejects a times option that is not a positive integer', () => {
        expect(() => sandbox.setFault('*', { kind: 'hang' }, { times: 0 })).toThrow(RangeError);
      });
    });

    describe('seeded fault ids', () => {
      it.each([
        [SANDBOX_FAULT_IDS.internalError, 500, { statusCode: 500, message: 'Internal server error' }],
        [SANDBOX_FAULT_IDS.unavailable, 503, { statusCode: 503 }],
        [SANDBOX_FAULT_IDS.badRequest, 400, { statusCode: 400, message: 'Bad Request', error: 'Bad Request' }],
        [SANDBOX_FAULT_IDS.burstLimited, 429, { statusCode: 429, message: 'Too many requests' }],
        [SANDBOX_FAULT_IDS.dailyLimited, 429, { statusCode: 429, message: 'Too many requests' }],
      ])('%s answers %d with its documented body', async (id, status, body) => {
        const response = await getConversation(sandbox, id);
        expect(response.status).toBe(status);
        expect(await response.json()).toMatchObject(body);
      });

      it('fault-429 carries Retry-After and fault-429-daily a daily remaining of 0', async () => {
        const burst = await getConversation(sandbox, SANDBOX_FAULT_IDS.burstLimited);
        expect(burst.headers.get('retry-after')).toBe(String(SANDBOX_FAULT_RETRY_AFTER_SECONDS));
        expect(burst.headers.get('x-ratelimit-remaining')).toBe('0');
        const daily = await getConversation(sandbox, SANDBOX_FAULT_IDS.dailyLimited);
        expect(daily.headers.get('x-ratelimit-daily-remaining')).toBe('0');
      });

      it('fault-not-json, fault-invalid-shape, fault-reset and fault-hang misbehave as named', async () => {
        expect((await getConversation(sandbox, SANDBOX_FAULT_IDS.notJson)).headers.get('content-type')).toMatch(/^text\/html/);
        expect(await (await getConversation(sandbox, SANDBOX_FAULT_IDS.invalidShape)).json()).toEqual({ foo: 'bar' });
        expect((await httpGetError(`${sandbox.url}/conversations/${SANDBOX_FAULT_IDS.reset}`)).code).toBe('ECONNRESET');
        await expect(
          getConversation(sandbox, SANDBOX_FAULT_IDS.hang, { signal: AbortSignal.timeout(100) }),
        ).rejects.toMatchObject({ name: 'TimeoutError' });
      });

      it('fault-slow has not answered after 300 ms, and a client leaving mid-wait causes no error', async () => {
        await expect(
          getConversation(sandbox, SANDBOX_FAULT_IDS.slow, { signal: AbortSignal.timeout(300) }),
        ).rejects.toMatchObject({ name: 'TimeoutError' });
        expect(sandbox.callsFor(SANDBOX_FAULT_IDS.slow)).toBe(1);
      });

      it('seeded fault ids survive reset()', async () => {
        sandbox.reset();
        expect((await getConversation(sandbox, SANDBOX_FAULT_IDS.internalError)).status).toBe(500);
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

  describe('rate limits', () => {
    describe('burst window of 3 requests per 1000 ms', () => {
      let sandbox: SandboxUpstream;

      beforeAll(async () => {
        sandbox = await startSandboxUpstream({ burstLimit: 3, burstIntervalMs: 1000 });
      });
      afterAll(() => sandbox.close());

      it('counts down X-RateLimit-Remaining, answers the 4th call with 429 and Retry-After, then opens a new window', async () => {
        const remaining: (string | null)[] = [];
        for (let i = 0; i < 3; i += 1) {
          const response = await getConversation(sandbox, SANDBOX_IDS.phone);
          expect(response.status).toBe(200);
          remaining.push(response.headers.get('x-ratelimit-remaining'));
        }
        expect(remaining).toEqual(['2', '1', '0']);

        const limited = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(limited.status).toBe(429);
        expect(await limited.json()).toMatchObject({ statusCode: 429, message: 'Too many requests', error: 'Too Many Requests' });
        expect(limited.headers.get('retry-after')).toBe('1');
        expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
        expect(limited.headers.get('x-ratelimit-max')).toBe('3');

        // Location B has its own bucket.
        const other = await getConversation(sandbox, SANDBOX_IDS.review, { token: SANDBOX_LOCATION_B.token });
        expect(other.status).toBe(200);
        expect(other.headers.get('x-ratelimit-remaining')).toBe('2');

        await new Promise((resolve) => setTimeout(resolve, 1050));
        const next = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(next.status).toBe(200);
        expect(next.headers.get('x-ratelimit-remaining')).toBe('2');
        // Rejected calls do not use up the daily quota.
        expect(next.headers.get('x-ratelimit-daily-remaining')).toBe(String(200_000 - 4));
      });
    });

    describe('daily quota of 2 requests', () => {
      let sandbox: SandboxUpstream;

      beforeAll(async () => {
        sandbox = await startSandboxUpstream({ dailyLimit: 2 });
      });
      afterAll(() => sandbox.close());

      it('answers 429 with X-RateLimit-Daily-Remaining 0 once the quota is used, until reset()', async () => {
        expect((await getConversation(sandbox, SANDBOX_IDS.phone)).headers.get('x-ratelimit-daily-remaining')).toBe('1');
        expect((await getConversation(sandbox, SANDBOX_IDS.phone)).headers.get('x-ratelimit-daily-remaining')).toBe('0');
        const limited = await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(limited.status).toBe(429);
        expect(limited.headers.get('x-ratelimit-daily-remaining')).toBe('0');
        const resetAt = Number(limited.headers.get('x-ratelimit-daily-reset'));
        // Retry-After counts whole seconds to the daily reset; allow for a second boundary passing meanwhile.
        const secondsToReset = (resetAt - Date.now()) / 1000;
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(Math.floor(secondsToReset));
        expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(Math.ceil(secondsToReset) + 1);

        sandbox.reset();
        expect((await getConversation(sandbox, SANDBOX_IDS.phone)).status).toBe(200);
      });
    });
  });

  describe('options', () => {
    it('keeps only the newest requestLogLimit requests, while still counting all of them', async () => {
      const sandbox = await startSandboxUpstream({ requestLogLimit: 2 });
      try {
        for (const id of [SANDBOX_IDS.phone, SANDBOX_IDS.email, SANDBOX_IDS.facebook]) await getConversation(sandbox, id);
        expect(sandbox.requests.map((request) => request.conversationId)).toEqual([SANDBOX_IDS.email, SANDBOX_IDS.facebook]);
        expect(sandbox.totalCalls()).toBe(3);
      } finally {
        await sandbox.close();
      }
    });

    it('records nothing with requestLogLimit 0, while still counting', async () => {
      const sandbox = await startSandboxUpstream({ requestLogLimit: 0 });
      try {
        await getConversation(sandbox, SANDBOX_IDS.phone);
        expect(sandbox.requests).toHaveLength(0);
        expect(sandbox.callsFor(SANDBOX_IDS.phone)).toBe(1);
      } finally {
        await sandbox.close();
      }
    });

    it('adds latencyMs before every response', async () => {
      const sandbox = await startSandboxUpstream({ latencyMs: 120 });
      try {
        const started = Date.now();
        expect((await call(sandbox, '/nowhere')).status).toBe(404);
        expect(Date.now() - started).toBeGreaterThanOrEqual(110);
      } finally {
        await sandbox.close();
      }
    });

    it('closes idle keep-alive connections after keepAliveTimeoutMs, not before', async () => {
      // One keep-alive agent, two requests 400 ms apart: a connection kept open serves both.
      const connectionsFor = async (keepAliveTimeoutMs: number): Promise<number> => {
        const sandbox = await startSandboxUpstream({ keepAliveTimeoutMs });
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        const get = (): Promise<number> =>
          new Promise((resolve, reject) => {
            const request = httpGet(`${sandbox.url}/conversations/${SANDBOX_IDS.phone}`, { agent, headers: { authorization: `Bearer ${SANDBOX_LOCATION_A.token}`, version: VERSION } }, (response) => {
              response.resume();
              response.on('end', () => resolve(response.statusCode ?? 0));
            });
            request.on('error', reject);
          });
        try {
          expect(await get()).toBe(200);
          await new Promise((resolve) => setTimeout(resolve, 400));
          expect(await get()).toBe(200);
          return sandbox.connections();
        } finally {
          agent.destroy();
          await sandbox.close();
        }
      };
      expect(await connectionsFor(3_000)).toBe(1);
      expect(await connectionsFor(100)).toBe(2);
    });

    it('rejects a negative option', async () => {
      await expect(startSandboxUpstream({ burstLimit: -1 })).rejects.toThrow(RangeError);
    });
  });

  describe('close()', () => {
    it('resolves while requests hang or wait, and their clients see the connection end', async () => {
      const sandbox = await startSandboxUpstream();
      sandbox.setFault(SANDBOX_IDS.email, { kind: 'delay', ms: 60_000 });
      // Settled together: a rejection left without a handler while awaiting the other would fail the test.
      const outcomes = Promise.allSettled([
        getConversation(sandbox, SANDBOX_FAULT_IDS.hang),
        getConversation(sandbox, SANDBOX_IDS.email),
      ]);
      await waitFor(() => sandbox.totalCalls() === 2);

      await sandbox.close();
      // fetch's TypeError comes from Node's realm, not Jest's, so compare by name rather than constructor.
      const failure = { status: 'rejected', reason: expect.objectContaining({ name: 'TypeError', message: 'fetch failed' }) };
      expect(await outcomes).toEqual([failure, failure]);
      await expect(sandbox.close()).resolves.toBeUndefined();
    });
  });
});
