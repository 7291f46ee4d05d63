// Circuit breaking by failure rate, per tenant and for HighLevel as a whole, so no tenant trips it for another.
//
// As Hystrix and Resilience4j do it: a circuit opens when outages (5xx, timeouts, unreachable) are at
// least `failureRatio` of the calls in a rolling `windowMs`, once the window holds `minCalls` calls. Each
// tenant (a budget: one location, or one token before its location is known) has its own circuit,
// opened by its own failures only. HighLevel as a whole is declared down only when the outages come from
// at least `minTenants` tenants, or are connection-level (refused, reset, timeouts) in that proportion
// of all calls: then every call fails fast. After `cooldownMs` an open circuit lets `probes` calls
// through (half-open); one success closes it, one outage opens it again.
//
// Written here rather than with cockatiel's SamplingBreaker: that one counts all calls together, and
// neither per-tenant circuits nor the "outages from several tenants" rule can be expressed with it.
import { UpstreamUnavailableError } from '../errors.js';
import type { BreakerState } from './events.js';

export interface CircuitBreakerOptions {
  failureRatio: number;
  windowMs: number;
  minCalls: number;
  minTenants: number;
  cooldownMs: number;
  /** Calls let through at once while half-open. */
  probes?: number;
  /** Tenants whose windows are kept at most (the idle ones are dropped first). */
  maxTenants?: number;
  now?: () => number;
  onStateChange?: (change: { scope: 'upstream' | 'tenant'; state: BreakerState; tenant?: string; openTenants: number }) => void;
}

/** A call's outcome as the breaker counts it; `ignored`: the operation's own deadline, not HighLevel's fault. */
export type CallOutcome = 'success' | 'answered' | 'outage' | 'connection-outage' | 'ignored';

const BUCKETS = 10;

interface Bucket {
  start: number;
  calls: number;
  outages: number;
  connectionOutages: number;
  /** Tenants with an outage in this bucket (upstream circuit only). */
  tenants: Set<string> | undefined;
}

/** One circuit: its rolling window and its state. */
class Circuit {
  state: BreakerState = 'closed';
  openedAt = 0;
  probesInFlight = 0;
  readonly #buckets: Bucket[] = [];
  readonly #bucketMs: number;

  constructor(
    windowMs: number,
    readonly tracksTenants: boolean,
  ) {
    this.#bucketMs = Math.max(1, Math.ceil(windowMs / BUCKETS));
  }

  add(now: number, outcome: Exclude<CallOutcome, 'ignored'>, tenant: string): void {
    const start = now - (now % this.#bucketMs);
    let bucket = this.#buckets.at(-1);
    if (!bucket || bucket.start !== start) {
      bucket = { start, calls: 0, outages: 0, connectionOutages: 0, tenants: this.tracksTenants ? new Set() : undefined };
      this.#buckets.push(bucket);
      this.#prune(now);
    }
    bucket.calls += 1;
    if (outcome === 'outage' || outcome === 'connection-outage') {
      bucket.outages += 1;
      bucket.tenants?.add(tenant);
      if (outcome === 'connection-outage') bucket.connectionOutages += 1;
    }
  }

  totals(now: number): { calls: number; outages: number; connectionOutages: number; tenants: number } {
    this.#prune(now);
    const totals = { calls: 0, outages: 0, connectionOutages: 0, tenants: 0 };
    const tenants = new Set<string>();
    for (const bucket of this.#buckets) {
      totals.calls += bucket.calls;
      totals.outages += bucket.outages;
      totals.connectionOutages += bucket.connectionOutages;
      for (const tenant of bucket.tenants ?? []) tenants.add(tenant);
    }
    totals.tenants = tenants.size;
    return totals;
  }

  reset(): void {
    this.#buckets.length = 0;
  }

  idle(now: number): boolean {
    this.#prune(now);
    return this.state === 'closed' && this.#buckets.length === 0;
  }

  #prune(now: number): void {
    const oldest = now - this.#bucketMs * BUCKETS;
    let drop = 0;
    while (drop < this.#buckets.length && (this.#buckets[drop] as Bucket).start + this.#bucketMs <= oldest) drop += 1;
    if (drop > 0) this.#buckets.splice(0, drop);
  }
}

/** What admit() let through: needed again to record the outcome. */
export interface Admission {
  tenant: string;
  /** The circuits this call probes (half-open ones). */
  probing: Circuit[];
}

export class CircuitBreaker {
  readonly #options: Required<Omit<CircuitBreakerOptions, 'onStateChange'>> & Pick<CircuitBreakerOptions, 'onStateChange'>;
  readonly #upstream: Circuit;
  readonly #tenants = new Map<string, Circuit>();
  #openTenants = 0;

  constructor(options: CircuitBreakerOptions) {
    this.#options = { probes: 3, maxTenants: 10_000, now: Date.now, ...options };
    this.#upstream = new Circuit(options.windowMs, true);
  }

  /** HighLevel as a whole. */
  get state(): BreakerState {
    return this.#upstream.state;
  }

  /** Tenants whose own circuit is open or half-open. */
  get openTenants(): number {
    return this.#openTenants;
  }

  /** True when a call of this tenant made now would be refused (so no budget slot is spent on it). */
  refusing(tenant: string): boolean {
    const now = this.#options.now();
    return this.#refuses(this.#upstream, now) || this.#refuses(this.#tenants.get(tenant), now);
  }

  /** @throws UpstreamUnavailableError, and lets nothing through, while this tenant's calls are refused. */
  admit(tenant: string): Admission {
    const now = this.#options.now();
    const circuit = this.#tenantCircuit(tenant);
    if (this.#refuses(this.#upstream, now)) throw unavailable('HighLevel failed repeatedly');
    if (this.#refuses(circuit, now)) throw unavailable('Calls for this location failed repeatedly');
    const probing = [this.#upstream, circuit].filter((candidate) => this.#probe(candidate, now, tenant));
    for (const candidate of probing) candidate.probesInFlight += 1;
    return { tenant, probing };
  }

  /** Counts the outcome of an admitted call; may open or close circuits. */
  record(admission: Admission, outcome: CallOutcome): void {
    const now = this.#options.now();
    const circuit = this.#tenantCircuit(admission.tenant);
    for (const probed of admission.probing) probed.probesInFlight -= 1;
    if (outcome === 'ignored') return;
    const outage = outcome === 'outage' || outcome === 'connection-outage';
    for (const probed of admission.probing) {
      if (probed.state !== 'half-open') continue;
      if (outage) this.#open(probed, now, admission.tenant);
      else this.#close(probed, admission.tenant);
    }
    circuit.add(now, outcome, admission.tenant);
    this.#upstream.add(now, outcome, admission.tenant);
    if (!outage) return;
    const { failureRatio, minCalls, minTenants } = this.#options;
    const own = circuit.totals(now);
    if (circuit.state === 'closed' && own.calls >= minCalls && own.outages >= failureRatio * own.calls) this.#open(circuit, now, admission.tenant);
    const all = this.#upstream.totals(now);
    const widespread = all.tenants >= minTenants || all.connectionOutages >= failureRatio * all.calls;
    if (this.#upstream.state === 'closed' && all.calls >= minCalls && all.outages >= failureRatio * all.calls && widespread) {
      this.#open(this.#upstream, now, admission.tenant);
    }
  }

  #refuses(circuit: Circuit | undefined, now: number): boolean {
    if (!circuit || circuit.state === 'closed') return false;
    if (circuit.state === 'open' && now - circuit.openedAt < this.#options.cooldownMs) return true;
    return circuit.probesInFlight >= this.#options.probes;
  }

  /** Whether a call let through now is one of the circuit's probes (moving it to half-open). */
  #probe(circuit: Circuit, now: number, tenant: string): boolean {
    if (circuit.state === 'closed') return false;
    if (circuit.state === 'open' && now - circuit.openedAt >= this.#options.cooldownMs) this.#transition(circuit, 'half-open', tenant);
    return circuit.state === 'half-open';
  }

  #open(circuit: Circuit, now: number, tenant: string): void {
    circuit.openedAt = now;
    this.#transition(circuit, 'open', tenant);
  }

  #close(circuit: Circuit, tenant: string): void {
    circuit.reset();
    this.#transition(circuit, 'closed', tenant);
  }

  #transition(circuit: Circuit, state: BreakerState, tenant: string): void {
    if (circuit.state === state) return;
    const isTenant = circuit !== this.#upstream;
    if (isTenant && circuit.state === 'closed') this.#openTenants += 1;
    if (isTenant && state === 'closed') this.#openTenants -= 1;
    circuit.state = state;
    this.#options.onStateChange?.({
      scope: isTenant ? 'tenant' : 'upstream',
      state,
      ...(isTenant ? { tenant } : {}),
      openTenants: this.#openTenants,
    });
  }

  #tenantCircuit(tenant: string): Circuit {
    let circuit = this.#tenants.get(tenant);
    if (!circuit) {
      if (this.#tenants.size >= this.#options.maxTenants) this.#dropIdleTenants();
      circuit = new Circuit(this.#options.windowMs, false);
      this.#tenants.set(tenant, circuit);
    }
    return circuit;
  }

  #dropIdleTenants(): void {
    const now = this.#options.now();
    for (const [tenant, circuit] of this.#tenants) if (circuit.idle(now)) this.#tenants.delete(tenant);
  }
}

function unavailable(what: string): UpstreamUnavailableError {
  return new UpstreamUnavailableError(`${what}; calls are paused for a moment (circuit breaker open). Retry shortly.`);
}
