// Integration tier: the sandbox's faults, set at run time with setFault or seeded by id, over loopback.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_FAULT_IDS, SANDBOX_FAULT_RETRY_AFTER_SECONDS, SANDBOX_IDS } from '../sandbox/data.js';
import { startSandboxUpstream } from '../sandbox/upstream.js';
import type { SandboxUpstream } from '../sandbox/upstream.js';
import { getConversation, httpGetError, seeded } from './support/sandbox-client.js';

describe('sandbox faults', () => {
  let sandbox: SandboxUpstream;

  beforeAll(async () => {
    sandbox = await startSandboxUpstream();
  });
  afterEach(() => sandbox.reset());
  afterAll(() => sandbox.close());

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
});
