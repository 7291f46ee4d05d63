// The sandbox's own rate limits, counted as HighLevel counts them: per location, a fixed burst window
// started by its first request, and a UTC-day quota. Named apart from the service's limiter on purpose.
import { nextUtcMidnight } from '../src/upstream/rate-limit-headers.js';
import { type Reply, errorReply } from './replies.js';

export interface Limits {
  burstLimit: number;
  burstIntervalMs: number;
  dailyLimit: number;
}

/** One token's usage: a fixed burst window started by its first request, and a UTC-day counter. */
interface Usage {
  windowStart: number;
  windowCount: number;
  dayResetAt: number;
  dayCount: number;
}

export type Admission = { admitted: true; headers: Record<string, string> } | { admitted: false; reply: Reply };

export class SandboxQuota {
  readonly #usage = new Map<string, Usage>();
  readonly #limits: Limits;

  constructor(limits: Limits) {
    this.#limits = limits;
  }

  /** Counts one request for `token` if its limits allow it; either way returns the headers to send. */
  admit(token: string, now: number): Admission {
    const usage = this.#current(token, now);
    this.#usage.set(token, usage);
    const { burstLimit, dailyLimit } = this.#limits;
    // The daily quota is checked first: when both are exhausted, only the daily reset helps.
    if (usage.dayCount >= dailyLimit) {
      return { admitted: false, reply: this.#tooMany(usage, now, usage.dayResetAt) };
    }
    if (usage.windowCount >= burstLimit) {
      return { admitted: false, reply: this.#tooMany(usage, now, usage.windowStart + this.#limits.burstIntervalMs) };
    }
    usage.windowCount += 1;
    usage.dayCount += 1;
    return { admitted: true, headers: this.#headers(usage) };
  }

  /** The headers a response would carry now, without counting a request (for faults and 401s). */
  peek(token: string, now: number): Record<string, string> {
    return this.#headers(this.#current(token, now));
  }

  clear(): void {
    this.#usage.clear();
  }

  /**
   * A copy of the token's usage with expired windows rolled over (a fresh record for a new token). A copy,
   * so that peek() never starts a window: only admit() stores it.
   */
  #current(token: string, now: number): Usage {
    const known = this.#usage.get(token);
    const usage: Usage = known
      ? { ...known }
      : { windowStart: now, windowCount: 0, dayResetAt: nextUtcMidnight(now), dayCount: 0 };
    if (now >= usage.windowStart + this.#limits.burstIntervalMs) {
      // Fixed window: the next one starts at the first request after the previous one ended.
      usage.windowStart = now;
      usage.windowCount = 0;
    }
    if (now >= usage.dayResetAt) {
      usage.dayResetAt = nextUtcMidnight(now);
      usage.dayCount = 0;
    }
    return usage;
  }

  #tooMany(usage: Usage, now: number, clearsAt: number): Reply {
    const reply = errorReply(429, 'Too many requests', 'Too Many Requests');
    const retryAfter = String(Math.max(1, Math.ceil((clearsAt - now) / 1000)));
    return { ...reply, headers: { ...reply.headers, ...this.#headers(usage), 'Retry-After': retryAfter } };
  }

  #headers(usage: Usage): Record<string, string> {
    const { burstLimit, burstIntervalMs, dailyLimit } = this.#limits;
    return {
      'X-RateLimit-Max': String(burstLimit),
      'X-RateLimit-Remaining': String(Math.max(0, burstLimit - usage.windowCount)),
      'X-RateLimit-Interval-Milliseconds': String(burstIntervalMs),
      'X-RateLimit-Limit-Daily': String(dailyLimit),
      'X-RateLimit-Daily-Remaining': String(Math.max(0, dailyLimit - usage.dayCount)),
      'X-RateLimit-Daily-Reset': String(usage.dayResetAt),
    };
  }
}
