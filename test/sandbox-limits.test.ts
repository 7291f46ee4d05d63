// Integration tier: the sandbox's rate limits (per location), its options and close(), over loopback.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, get as httpGet } from 'node:http';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS, SANDBOX_LOCATION_A, SANDBOX_LOCATION_B } from '../sandbox/data.js';
import { startSandboxUpstream } from '../sandbox/upstream.js';
import type { SandboxUpstream } from '../sandbox/upstream.js';
import { VERSION, call, getConversation, waitFor } from './support/sandbox-client.js';

describe('sandbox upstream', () => {
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
