// What HighLevel's responses say about its rate limits. Every response carries X-RateLimit-* headers
// (Max, Remaining, Interval-Milliseconds, Limit-Daily, Daily-Remaining; its SDK also reads Daily-Reset);
// 429s may carry Retry-After, which HighLevel does not document, so every value here is optional and a
// missing or malformed one reads as unknown.
import type { RateLimitScope } from '../errors.js';
import type { ResponseHeaders as Headers } from './transport.js';

export interface RateLimitState {
  /** X-RateLimit-Max: requests allowed per burst window. */
  max?: number;
  /** X-RateLimit-Remaining: requests left in the current burst window. */
  remaining?: number;
  /** X-RateLimit-Interval-Milliseconds: length of the burst window. */
  intervalMs?: number;
  /** X-RateLimit-Daily-Remaining: requests left today. */
  dailyRemaining?: number;
  /** X-RateLimit-Daily-Reset: when the daily quota resets (epoch ms). */
  dailyResetAt?: number;
}

export function readRateLimitHeaders(headers: Headers): RateLimitState {
  const state: RateLimitState = {};
  const max = wholeNumber(headers['x-ratelimit-max']);
  const remaining = wholeNumber(headers['x-ratelimit-remaining']);
  const intervalMs = wholeNumber(headers['x-ratelimit-interval-milliseconds']);
  const dailyRemaining = wholeNumber(headers['x-ratelimit-daily-remaining']);
  const dailyResetAt = wholeNumber(headers['x-ratelimit-daily-reset']);
  if (max !== undefined && max > 0) state.max = max;
  if (remaining !== undefined) state.remaining = remaining;
  if (intervalMs !== undefined && intervalMs > 0) state.intervalMs = intervalMs;
  if (dailyRemaining !== undefined) state.dailyRemaining = dailyRemaining;
  if (dailyResetAt !== undefined) state.dailyResetAt = dailyResetAt;
  return state;
}

/**
 * What a 429 means, from its headers read once. `scope`: the daily quota when HighLevel says none is left
 * today, else the burst limit. `retryAfterMs`: Retry-After when sent; for the burst limit, one window
 * (X-RateLimit-Interval-Milliseconds, 10 s when absent); for the daily quota, until
 * X-RateLimit-Daily-Reset, or the next UTC midnight when HighLevel does not say (assumed).
 */
export function limitOf429(headers: Headers, state: RateLimitState, now: number = Date.now()): { scope: RateLimitScope; retryAfterMs: number } {
  const scope = state.dailyRemaining === 0 ? 'daily' : 'burst';
  const explicit = retryAfterMs(headers, now);
  if (explicit !== undefined) return { scope, retryAfterMs: explicit };
  if (scope === 'daily') return { scope, retryAfterMs: Math.max(0, (state.dailyResetAt ?? nextUtcMidnight(now)) - now) };
  return { scope, retryAfterMs: state.intervalMs ?? DEFAULT_BURST_INTERVAL_MS };
}



const DEFAULT_BURST_INTERVAL_MS = 10_000;

/** Retry-After in milliseconds, from seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(headers: Headers, now: number = Date.now()): number | undefined {
  const value = first(headers['retry-after'])?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The next 00:00 UTC after `now` (epoch ms): when HighLevel's daily quota resets, as far as anyone knows. */
export function nextUtcMidnight(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
}

function wholeNumber(raw: string | string[] | undefined): number | undefined {
  const value = first(raw)?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function first(raw: string | string[] | undefined): string | undefined {
  return Array.isArray(raw) ? raw[0] : raw;
}
