// What the upstream pipeline tells the rest of the service: typed events for logs and metrics, and a
// tracer interface for spans. The pipeline knows nothing of pino, prom-client or OpenTelemetry's SDK;
// src/observability/ subscribes (upstream-events.ts) and implements the tracer (tracing.ts).
import type { Context } from '@opentelemetry/api';
import type { ConversationServiceError } from '../errors.js';
import type { RateLimitState } from './rate-limit-headers.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/** Never carries a token: budgets are named by location id or by the token's digest. */
export type UpstreamEvent =
  /** A call that failed in the end (after retries). */
  | { kind: 'failure'; conversationId: string; requestId: string | undefined; durationMs: number; status?: number; error: ConversationServiceError }
  /**
   * One request sent: its HTTP status, or the failure kind when none came back (timeout, unreachable,
   * aborted, too_large); for an answer, also what its X-RateLimit-* headers said of its budget.
   */
  | { kind: 'attempt'; outcome: string; durationMs: number; rateLimit?: { budget: string; state: RateLimitState } }
  | { kind: 'retry'; conversationId: string; requestId: string | undefined; attempt: number; reason: string }
  /** `scope: 'upstream'` is HighLevel as a whole; `'tenant'` one budget's own breaker (`tenant` names it). */
  | { kind: 'breaker'; scope: 'upstream' | 'tenant'; state: BreakerState; tenant?: string; openTenants: number }
  /** A lookup joined a call already in flight for the same token and id. */
  | { kind: 'coalesced' }
  /** The private cache answered a lookup (hit) or not (miss: the call was made). */
  | { kind: 'cache'; outcome: 'hit' | 'miss' }
  /** A conversation's cached answers stopped counting, for every token. */
  | { kind: 'cache-invalidated' };

export type UpstreamObserver = (event: UpstreamEvent) => void;

/** One call's span: headers to send upstream (traceparent), and its end. */
export interface CallSpan {
  headers: Record<string, string>;
  end(outcome: { status?: number; errorCode?: string }): void;
}

export interface UpstreamTracer {
  startCall(conversationId: string, parent: Context): CallSpan;
}
