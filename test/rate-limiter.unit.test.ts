// Unit tier: the per-budget rate limiter on a fake clock, and reading HighLevel's rate-limit headers.
import { describe, expect, it } from '@jest/globals';
import { RateLimiter } from '../src/upstream/rate-limiter.js';
import { limitOf429, readRateLimitHeaders } from '../src/upstream/rate-limit-headers.js';

const scopeOf429 = (headers: Record<string, string>) => limitOf429(headers, readRateLimitHeaders(headers)).scope;
const retryAfterMsOf429 = (headers: Record<string, string>, now: number) => limitOf429(headers, readRateLimitHeaders(headers), now).retryAfterMs;

function limiter(max = 3, intervalMs = 1000) {
  let now = 0;
  const instance = new RateLimiter({ max, intervalMs, marginMs: 0, now: () => now });
  return { instance, at: (time: number) => (now = time) };
}

/** Every window of `interval` ms holds at most `max` of `starts`. */
function respects(starts: number[], max: number, interval: number): boolean {
  const sorted = [...starts].sort((a, b) => a - b);
  return sorted.every((start, i) => i + max >= sorted.length || (sorted[i + max] as number) - start >= interval);
}

describe('RateLimiter', () => {
  it('grants up to max starts at once, then the next when the oldest leaves the window', () => {
    const { instance } = limiter(3, 1000);
    const starts = Array.from({ length: 7 }, () => instance.reserve('k', 0, Infinity));
    expect(starts).toEqual([0, 0, 0, 1000, 1000, 1000, 2000]);
  });

  it('never lets any window hold more than max starts, whatever the order of requests', () => {
    const { instance, at } = limiter(5, 1000);
    const starts: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      at(i * 37);
      const notBefore = i * 37 + ((i * 7919) % 1500);
      starts.push(instance.reserve('k', notBefore, Infinity) as number);
    }
    expect(respects(starts, 5, 1000)).toBe(true);
  });

  it('reserves nothing when the earliest start lies beyond the deadline', () => {
    const { instance } = limiter(1, 1000);
    expect(instance.reserve('k', 0, 5000)).toBe(0);
    expect(instance.reserve('k', 0, 999)).toBeUndefined();
    expect(instance.earliestStart('k', 0)).toBe(1000);
    expect(instance.reserve('k', 0, 1000)).toBe(1000);
  });

  it('keeps tokens apart: one busy token does not delay another', () => {
    const { instance } = limiter(2, 1000);
    instance.reserve('busy', 0, Infinity);
    instance.reserve('busy', 0, Infinity);
    expect(instance.reserve('busy', 0, Infinity)).toBe(1000);
    expect(instance.reserve('quiet', 0, Infinity)).toBe(0);
  });

  it('learns the limit and window from HighLevel\'s headers', () => {
    const { instance } = limiter(100, 10_000);
    instance.observe('k', { max: 2, intervalMs: 500 });
    instance.reserve('k', 0, Infinity);
    instance.reserve('k', 0, Infinity);
    expect(instance.reserve('k', 0, Infinity)).toBe(500);
  });

  it('counts calls others made with the same token, from X-RateLimit-Remaining', () => {
    const { instance } = limiter(10, 1000);
    instance.observe('k', { remaining: 1 });
    expect(instance.reserve('k', 0, Infinity)).toBe(0);
    expect(instance.reserve('k', 0, Infinity)).toBe(1000);
  });

  it('holds every start until a 429\'s wait is over', () => {
    const { instance } = limiter(10, 1000);
    instance.block('k', 7000);
    expect(instance.reserve('k', 0, Infinity)).toBe(7000);
  });

  it("moves a token's starts and hold into its location's budget when adopted", () => {
    const { instance } = limiter(3, 1000);
    instance.reserve('location:A', 0, Infinity);
    instance.reserve('token:t', 0, Infinity);
    instance.reserve('token:t', 0, Infinity);
    instance.block('token:t', 500);
    instance.adopt('token:t', 'location:A');
    // Three starts at 0 fill location A's window; the hold would have allowed 500.
    expect(instance.reserve('location:A', 0, Infinity)).toBe(1000);
    expect(instance.blocked('location:A').until).toBe(500);
    expect(instance.reserve('token:t', 0, Infinity)).toBe(0);
  });
});

describe('rate-limit headers', () => {
  it('reads every X-RateLimit header and ignores malformed ones', () => {
    expect(
      readRateLimitHeaders({
        'x-ratelimit-max': '100',
        'x-ratelimit-remaining': '42',
        'x-ratelimit-interval-milliseconds': '10000',
        'x-ratelimit-daily-remaining': 'many',
        'x-ratelimit-daily-reset': '1764000000000',
      }),
    ).toEqual({ max: 100, remaining: 42, intervalMs: 10000, dailyResetAt: 1764000000000 });
  });

  it('tells the daily quota from the burst limit', () => {
    expect(scopeOf429({ 'x-ratelimit-daily-remaining': '0' })).toBe('daily');
    expect(scopeOf429({ 'x-ratelimit-daily-remaining': '5', 'x-ratelimit-remaining': '0' })).toBe('burst');
    expect(scopeOf429({})).toBe('burst');
  });

  it('waits for Retry-After, else one window for a burst, else until the daily reset', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(retryAfterMsOf429({ 'retry-after': '3' }, now)).toBe(3000);
    expect(retryAfterMsOf429({ 'retry-after': 'Thu, 01 Jan 2026 12:00:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMsOf429({ 'x-ratelimit-interval-milliseconds': '2500' }, now)).toBe(2500);
    expect(retryAfterMsOf429({}, now)).toBe(10_000);
    expect(retryAfterMsOf429({ 'x-ratelimit-daily-remaining': '0', 'x-ratelimit-daily-reset': String(now + 60_000) }, now)).toBe(60_000);
    expect(retryAfterMsOf429({ 'x-ratelimit-daily-remaining': '0' }, now)).toBe(12 * 3600 * 1000);
  });
});
