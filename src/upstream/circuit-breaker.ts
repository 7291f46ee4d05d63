// One circuit breaker per upstream: after a run of outages it fails fast, then lets one probe through.
//
// The counting is cockatiel's ConsecutiveBreaker. Two things are added around it: while the breaker is
// open, or half-open with its probe still in flight, calls are refused at once (cockatiel would make
// them wait for the probe's outcome, beyond their own deadlines); and the caller can ask before spending
// anything else (a rate-limit slot) on a call that would be refused anyway.
import { BrokenCircuitError, type CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';
import { UpstreamUnavailableError } from '../errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive outages that open the breaker. */
  threshold: number;
  /** How long it stays open before letting one probe through. */
  cooldownMs: number;
  /** Which errors are outages; all others count as neither success nor failure. */
  isOutage: (error: unknown) => boolean;
  onStateChange?: (state: BreakerState) => void;
}

export class UpstreamCircuitBreaker {
  readonly #policy: CircuitBreakerPolicy;
  readonly #cooldownMs: number;
  #openedAt = 0;
  #probeInFlight = false;

  constructor({ threshold, cooldownMs, isOutage, onStateChange }: CircuitBreakerOptions) {
    this.#cooldownMs = cooldownMs;
    this.#policy = circuitBreaker(handleWhen(isOutage), { halfOpenAfter: cooldownMs, breaker: new ConsecutiveBreaker(threshold) });
    this.#policy.onStateChange((state) => {
      if (state === CircuitState.Open) this.#openedAt = Date.now();
      onStateChange?.(stateName(state));
    });
  }

  get state(): BreakerState {
    return stateName(this.#policy.state);
  }

  /** True when a call made now would be refused without reaching HighLevel. */
  get refusing(): boolean {
    const state = this.#policy.state;
    if (state === CircuitState.Open) return Date.now() - this.#openedAt < this.#cooldownMs;
    return state === CircuitState.HalfOpen && this.#probeInFlight;
  }

  /** @throws UpstreamUnavailableError, without calling `action`, while refusing. */
  async run<T>(action: () => Promise<T>): Promise<T> {
    if (this.refusing) throw unavailable();
    // Open with the cool-down over, or half-open: this call is the probe.
    const probe = this.#policy.state !== CircuitState.Closed;
    if (probe) this.#probeInFlight = true;
    try {
      return await this.#policy.execute(action);
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw unavailable();
      throw error;
    } finally {
      if (probe) this.#probeInFlight = false;
    }
  }
}

function unavailable(): UpstreamUnavailableError {
  return new UpstreamUnavailableError('HighLevel failed repeatedly; calls are paused for a moment (circuit breaker open). Retry shortly.');
}

function stateName(state: CircuitState): BreakerState {
  return state === CircuitState.Open ? 'open' : state === CircuitState.HalfOpen ? 'half-open' : 'closed';
}
