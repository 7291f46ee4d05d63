// Prometheus metrics (prom-client), served at GET /metrics.
//
// What a team running this needs at a glance: how many upstream calls each operation costs, how close
// tokens are to HighLevel's limits, and why things fail. No label ever carries a token, an id or any
// other unbounded value: operation names are bounded (see `operationLabel`), statuses and codes come
// from small fixed sets, and rate-limit state is aggregated across tokens.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BreakerState } from '../upstream/events.js';
import type { RateLimitState } from '../upstream/rate-limit-headers.js';

export type OperationOutcome = 'success' | 'partial' | 'error';

/** Distinct operation names kept as labels; later ones are counted as "other". */
const MAX_OPERATION_LABELS = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** How long a token's reported X-RateLimit-Remaining counts towards the lowest-remaining gauges. */
const RATE_STATE_TTL_MS = 60_000;
const MAX_RATE_STATES = 10_000;

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export class Metrics {
  readonly registry = new Registry();
  readonly #operations: Counter<'operation' | 'outcome'>;
  readonly #operationSeconds: Histogram<'operation' | 'outcome'>;
  readonly #errors: Counter<'code'>;
  readonly #upstream: Counter<'status'>;
  readonly #upstreamSeconds: Histogram<'status'>;
  readonly #retries: Counter<'reason'>;
  readonly #batchSize: Histogram;
  readonly #coalesced: Counter;
  readonly #breaker: Gauge;
  readonly #openTenants: Gauge;
  readonly #connectionsRefused: Counter;
  readonly #cache: Counter<'outcome'>;
  readonly #cacheInvalidations: Counter;
  readonly #redisErrors: Counter;
  readonly #webhooks: Counter<'outcome'>;
  #redisUp: Gauge | undefined;
  #openConnections: () => number = () => 0;
  readonly #operationNames = new Set<string>();
  /**
   * The per-status children of the two upstream metrics, looked up once per status: prom-client would
   * otherwise hash the label set on every call. Statuses are HTTP codes and failure kinds: a small set.
   */
  readonly #upstreamByStatus = new Map<string, { requests: Counter.Internal; seconds: Histogram.Internal<'status'> }>();
  /** Latest rate-limit state per token (keyed by the limiter's digest, never the token). */
  readonly #rateStates = new Map<string, { state: RateLimitState; at: number }>();

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#operations = new Counter({
      name: 'graphql_operations_total',
      help: 'GraphQL operations, by operation name and outcome (success, partial: some fields failed, error: nothing resolved).',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.#operationSeconds = new Histogram({
      name: 'graphql_operation_duration_seconds',
      help: 'Time from receiving a GraphQL operation to sending its answer.',
      labelNames: ['operation', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
      registers,
    });
    this.#errors = new Counter({
      name: 'graphql_errors_total',
      help: 'Errors in GraphQL answers, by extensions.code.',
      labelNames: ['code'],
      registers,
    });
    this.#upstream = new Counter({
      name: 'highlevel_requests_total',
      help: 'Requests sent to HighLevel (retries included), by HTTP status or failure kind (timeout, unreachable, aborted, too_large).',
      labelNames: ['status'],
      registers,
    });
    this.#upstreamSeconds = new Histogram({
      name: 'highlevel_request_duration_seconds',
      help: 'Duration of one request to HighLevel, by HTTP status or failure kind.',
      labelNames: ['status'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#retries = new Counter({
      name: 'highlevel_retries_total',
      help: 'Retries of requests to HighLevel, by the reason of the failed attempt (HTTP status or error code).',
      labelNames: ['reason'],
      registers,
    });
    this.#batchSize = new Histogram({
      name: 'conversation_loader_batch_size',
      help: 'Distinct conversation ids per DataLoader batch (one batch per operation tick).',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers,
    });
    this.#coalesced = new Counter({
      name: 'highlevel_coalesced_lookups_total',
      help: 'Lookups that joined a call already in flight for the same token and id (HIGHLEVEL_COALESCE_INFLIGHT) instead of making one.',
      registers,
    });
    this.#cache = new Counter({
      name: 'conversation_cache_lookups_total',
      help: 'Lookups of the private conversation cache (CONVERSATION_CACHE_TTL_SECONDS), by outcome: hit (no upstream call) or miss.',
      labelNames: ['outcome'],
      registers,
    });
    this.#cacheInvalidations = new Counter({
      name: 'conversation_cache_invalidations_total',
      help: 'Conversations whose cached answers were invalidated, for every token at once.',
      registers,
    });
    this.#redisErrors = new Counter({
      name: 'redis_errors_total',
      help: 'Redis commands that failed or timed out, and connection errors (REDIS_URL); each falls back to the in-process path.',
      registers,
    });
    this.#webhooks = new Counter({
      name: 'webhook_deliveries_total',
      help: 'HighLevel webhook deliveries, by outcome: applied, outdated, duplicate, ignored (type not handled), unsigned, bad_signature, expired, malformed, too_large.',
      labelNames: ['outcome'],
      registers,
    });
    this.#breaker = new Gauge({
      name: 'highlevel_circuit_breaker_state',
      help: 'Circuit breaker for HighLevel as a whole: 0 closed, 1 half-open (probing), 2 open (failing fast).',
      registers,
    });
    this.#connectionsRefused = new Counter({
      name: 'http_connections_refused_total',
      help: 'Client connections closed on arrival because HTTP_MAX_CONNECTIONS were open.',
      registers,
    });
    const openConnections = () => this.#openConnections();
    new Gauge({
      name: 'http_connections_open',
      help: 'Client connections open now (idle keep-alive ones included).',
      registers,
      collect() {
        this.set(openConnections());
      },
    });
    this.#openTenants = new Gauge({
      name: 'highlevel_circuit_breaker_open_tenants',
      help: 'Budgets (locations, or tokens before their location is known) whose own circuit is open or half-open after their own outages.',
      registers,
    });
    const rateStates = () => this.#freshRateStates();
    new Gauge({
      name: 'highlevel_ratelimit_remaining_min',
      help: 'Lowest X-RateLimit-Remaining (burst window) HighLevel reported, across tokens, in the last minute; absent before any answer.',
      registers,
      collect() {
        const values = rateStates().flatMap(({ remaining }) => (remaining === undefined ? [] : [remaining]));
        if (values.length > 0) this.set(Math.min(...values));
        else this.reset();
      },
    });
    new Gauge({
      name: 'highlevel_ratelimit_daily_remaining_min',
      help: 'Lowest X-RateLimit-Daily-Remaining HighLevel reported, across tokens, in the last minute.',
      registers,
      collect() {
        const values = rateStates().flatMap(({ dailyRemaining }) => (dailyRemaining === undefined ? [] : [dailyRemaining]));
        if (values.length > 0) this.set(Math.min(...values));
        else this.reset();
      },
    });
  }

  observeOperation(name: string | null | undefined, outcome: OperationOutcome, seconds: number, errorCodes: readonly string[]): void {
    const operation = this.#operationLabel(name);
    this.#operations.inc({ operation, outcome });
    this.#operationSeconds.observe({ operation, outcome }, seconds);
    for (const code of errorCodes) this.#errors.inc({ code: codeLabel(code) });
  }

  observeUpstream(status: string, seconds: number | undefined): void {
    let children = this.#upstreamByStatus.get(status);
    if (!children) {
      children = { requests: this.#upstream.labels(status), seconds: this.#upstreamSeconds.labels(status) };
      this.#upstreamByStatus.set(status, children);
    }
    children.requests.inc();
    if (seconds !== undefined) children.seconds.observe(seconds);
  }

  observeRetry(reason: string): void {
    this.#retries.inc({ reason });
  }

  observeConnectionRefused(): void {
    this.#connectionsRefused.inc();
  }

  /** Where http_connections_open reads its value when scraped. */
  watchConnections(open: () => number): void {
    this.#openConnections = open;
  }

  observeBatch(size: number): void {
    this.#batchSize.observe(size);
  }

  observeCoalesced(): void {
    this.#coalesced.inc();
  }

  observeCache(outcome: 'hit' | 'miss'): void {
    this.#cache.inc({ outcome });
  }

  observeCacheInvalidation(): void {
    this.#cacheInvalidations.inc();
  }

  observeWebhook(outcome: string): void {
    this.#webhooks.inc({ outcome });
  }

  observeRedisError(): void {
    this.#redisErrors.inc();
  }

  /** redis_up, present only when REDIS_URL is set: 1 while budgets and the cache are shared, else 0. */
  setRedisUp(up: boolean): void {
    this.#redisUp ??= new Gauge({
      name: 'redis_up',
      help: 'Whether Redis (REDIS_URL) answers: 1 budgets and cache shared between instances, 0 each instance on its own.',
      registers: [this.registry],
    });
    this.#redisUp.set(up ? 1 : 0);
  }

  /** `budget`: a location id or a token digest, never a token. */
  observeRateLimit(budget: string, state: RateLimitState): void {
    if (state.remaining === undefined && state.dailyRemaining === undefined) return;
    if (this.#rateStates.size >= MAX_RATE_STATES && !this.#rateStates.has(budget)) this.#freshRateStates();
    if (this.#rateStates.size >= MAX_RATE_STATES && !this.#rateStates.has(budget)) return;
    this.#rateStates.set(budget, { state, at: Date.now() });
  }

  setBreakerState(state: BreakerState): void {
    this.#breaker.set(BREAKER_VALUE[state]);
  }

  setOpenTenants(count: number): void {
    this.#openTenants.set(count);
  }

  /** Operation names become labels only when well-formed and among the first MAX_OPERATION_LABELS. */
  #operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (this.#operationNames.has(name)) return name;
    if (this.#operationNames.size >= MAX_OPERATION_LABELS) return 'other';
    this.#operationNames.add(name);
    return name;
  }

  #freshRateStates(): RateLimitState[] {
    const oldest = Date.now() - RATE_STATE_TTL_MS;
    const fresh: RateLimitState[] = [];
    for (const [key, { state, at }] of this.#rateStates) {
      if (at < oldest) this.#rateStates.delete(key);
      else fresh.push(state);
    }
    return fresh;
  }
}

/** Error codes are SCREAMING_SNAKE_CASE words from a small set; anything else is not a label. */
function codeLabel(code: string): string {
  return /^[A-Z][A-Z_]{0,63}$/.test(code) ? code : 'OTHER';
}
