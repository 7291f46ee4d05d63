// Which budget a token's calls count against. HighLevel's limits are per app and location, and the
// token decides the location, so two tokens of one location share one budget: keyed by the location id
// once a token's first successful answer has told it (`locationId`), by the token's digest before.
//
// Until then a token's calls wait for its first call to come back: otherwise two new tokens of one
// location could each spend a whole budget at once before either location was known. Any answer ends
// the wait (a token whose first ids fail keeps its own budget until a success tells its location).
// Both maps are bounded and expire, as tokens come and go.
import { LRUCache } from 'lru-cache';

const MAX_TOKENS = 10_000;
const tokenBudget = (digest: string) => `token:${digest}`;
const locationBudget = (locationId: string) => `location:${locationId}`;
const REMEMBER_MS = 6 * 60 * 60 * 1000;

export class BudgetKeys {
  readonly #locations = new LRUCache<string, string>({ max: MAX_TOKENS, ttl: REMEMBER_MS });
  /** Digests whose first call is in flight: later calls wait for it. */
  readonly #firstCalls = new Map<string, Promise<void>>();
  /** Digests whose first call came back without teaching a location. */
  readonly #tried = new LRUCache<string, true>({ max: MAX_TOKENS, ttl: REMEMBER_MS });

  /** The budget of a token whose location is known or was tried; undefined while it is not. */
  known(digest: string): string | undefined {
    const location = this.#locations.get(digest);
    if (location !== undefined) return locationBudget(location);
    return this.#tried.has(digest) ? tokenBudget(digest) : undefined;
  }

  /**
   * For a token not known yet: the first call in flight to wait for, or, when there is none, undefined
   * and `settle` to call once this call, the token's first, has its answer.
   */
  firstCall(digest: string): { wait: Promise<void> } | { settle: () => void; budget: string } {
    const pending = this.#firstCalls.get(digest);
    if (pending) return { wait: pending };
    let settle!: () => void;
    this.#firstCalls.set(digest, new Promise<void>((resolve) => (settle = resolve)));
    return {
      budget: tokenBudget(digest),
      settle: () => {
        this.#firstCalls.delete(digest);
        if (!this.#locations.has(digest)) this.#tried.set(digest, true);
        settle();
      },
    };
  }

  /**
   * Records the location an answer revealed.
   * @returns the budget that ends (the token's own) and the one that takes over, when they differ.
   */
  learn(digest: string, locationId: string): { from: string; to: string } | undefined {
    const previous = this.#locations.get(digest);
    if (previous === locationId) return undefined;
    this.#locations.set(digest, locationId);
    return { from: previous === undefined ? tokenBudget(digest) : locationBudget(previous), to: locationBudget(locationId) };
  }
}
