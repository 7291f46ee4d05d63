// Faults set at run time by tests (setFault): for one id or for every id ('*'), for the next N requests or for ever.
import { type Fault, SANDBOX_SEEDED_FAULTS } from './data.js';

interface ActiveFault {
  fault: Fault;
  /** Requests left before the fault lifts; Infinity when unlimited. */
  remaining: number;
}

export class FaultTable {
  readonly #faults = new Map<string, ActiveFault>();

  set(target: string, fault: Fault, times: number | undefined): void {
    if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
      throw new RangeError(`setFault: times must be a positive integer, got ${times}`);
    }
    this.#faults.set(target, { fault, remaining: times ?? Infinity });
  }

  /** The fault that applies to this request, if any, using up one of its `times`. */
  take(conversationId: string): Fault | undefined {
    for (const target of [conversationId, '*']) {
      const active = this.#faults.get(target);
      if (active === undefined) continue;
      active.remaining -= 1;
      if (active.remaining <= 0) this.#faults.delete(target);
      return active.fault;
    }
    return SANDBOX_SEEDED_FAULTS.get(conversationId);
  }

  clear(): void {
    this.#faults.clear();
  }
}
