// Unit tier: which failed attempts are retried, and after how long (the documented rules).
import { describe, expect, it } from '@jest/globals';
import { RetryPolicy } from '../src/upstream/retry-policy.js';

const policy = new RetryPolicy({ maxAttempts: 4, baseDelayMs: 200 });

describe('RetryPolicy', () => {
  it.each([502, 503, 504])('retries HTTP %d with equal-jitter backoff: half to all of 200 ms, then 400 ms, then 800 ms', (status) => {
    for (let run = 0; run < 50; run += 1) {
      const delays = [1, 2, 3].map((attempts) => policy.delayAfter({ kind: 'status', status }, attempts) as number);
      expect(delays[0]).toBeGreaterThanOrEqual(100);
      expect(delays[0]).toBeLessThanOrEqual(200);
      expect(delays[1]).toBeGreaterThanOrEqual(200);
      expect(delays[1]).toBeLessThanOrEqual(400);
      expect(delays[2]).toBeGreaterThanOrEqual(400);
      expect(delays[2]).toBeLessThanOrEqual(800);
    }
  });

  it('caps the backoff at 32 times the base delay', () => {
    const long = new RetryPolicy({ maxAttempts: 10, baseDelayMs: 10 });
    expect(long.delayAfter({ kind: 'status', status: 503 }, 9)).toBeLessThanOrEqual(320);
  });

  it("waits a burst 429's Retry-After, and never retries a daily-quota 429", () => {
    expect(policy.delayAfter({ kind: 'status', status: 429, scope: 'burst', retryAfterMs: 7000 }, 1)).toBe(7000);
    expect(policy.delayAfter({ kind: 'status', status: 429, scope: 'daily', retryAfterMs: 3_600_000 }, 1)).toBeUndefined();
  });

  it('retries connections reset or refused, never timeouts or other failures', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE']) expect(policy.delayAfter({ kind: 'failure', code }, 1)).toBeGreaterThan(0);
    for (const code of ['timeout', 'UND_ERR_HEADERS_TIMEOUT', 'ENOTFOUND', 'too_large', 'aborted']) {
      expect(policy.delayAfter({ kind: 'failure', code }, 1)).toBeUndefined();
    }
  });

  it.each([400, 401, 403, 404, 409, 422, 500])('never retries HTTP %d', (status) => {
    expect(policy.delayAfter({ kind: 'status', status }, 1)).toBeUndefined();
  });

  it('stops at the attempt limit', () => {
    expect(policy.delayAfter({ kind: 'status', status: 503 }, 4)).toBeUndefined();
  });
});
