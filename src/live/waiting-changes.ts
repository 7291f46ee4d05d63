// The changes of some conversations not yet sent to one subscriber. Bounded: a subscriber whose socket
// does not take them as fast as they come (graphql-ws awaits each send) would otherwise make the service
// buffer without end; past the bound its connection is closed (LiveContext.tooSlow).
import type { LiveContext } from '../context.js';
import type { ConversationChange } from './conversation-events.js';

/** Changes one subscriber may have waiting; more means it cannot keep up. */
export const MAX_WAITING = 100;

/** The changes of some conversations not yet sent to one subscriber, bounded. */
export class WaitingChanges {
  readonly #waiting: ConversationChange[] = [];
  #wake: (() => void) | undefined;
  #overflowed = false;
  #stopped = false;
  readonly #unlisten: () => void;
  readonly #closing = (): void => this.#wake?.();

  constructor(private readonly live: LiveContext, ids: readonly string[]) {
    this.#unlisten = live.events.listen(ids, (change) => {
      if (this.#waiting.length >= MAX_WAITING) this.#overflowed = true;
      else this.#waiting.push(change);
      this.#wake?.();
    });
    live.closing.addEventListener('abort', this.#closing);
  }

  /** No more changes: a next() waiting now, and every later one, ends. Safe to call twice. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unlisten();
    this.live.closing.removeEventListener('abort', this.#closing);
    this.#wake?.();
  }

  /** The next change; undefined when the subscription ends (stopped, drain, or a subscriber too slow). */
  async next(): Promise<ConversationChange | undefined> {
    while (this.#waiting.length === 0 && !this.#overflowed && !this.#ended()) await new Promise<void>((resolve) => (this.#wake = resolve));
    if (this.#ended()) return undefined;
    if (this.#overflowed) {
      this.live.tooSlow();
      return undefined;
    }
    return this.#waiting.shift();
  }

  #ended(): boolean {
    return this.#stopped || this.live.closing.aborted;
  }
}
