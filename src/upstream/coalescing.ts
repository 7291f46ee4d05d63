// In-flight coalescing: a lookup that a call already in flight is making (same token digest, same id)
// joins that call instead of making another. Keyed by the token's digest, so nothing is ever shared
// between tokens. A joiner waits for the first caller's call, which runs under the first caller's deadline.
export class InFlightCalls<T> {
  readonly #calls = new Map<string, Promise<T>>();

  /** The call in flight for this key, or `start()`'s, registered until it settles. */
  join(key: string, start: () => Promise<T>, onJoined: () => void): Promise<T> {
    const inFlight = this.#calls.get(key);
    if (inFlight) {
      onJoined();
      return inFlight;
    }
    const call = start().finally(() => this.#calls.delete(key));
    this.#calls.set(key, call);
    return call;
  }
}
