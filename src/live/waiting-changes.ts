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
  readonly stop: () => void;

  constructor(private readonly live: LiveContext, ids: readonly string[]) {
    const unlisten = live.events.listen(ids, (change) => {
      if (this.#waiting.length >= MAX_WAITING) this.#overflowed = true;
      else this.#waiting.push(change);
      this.#wake?.();
    });
    const closing = () => this.#wake?.();
    live.closing.addEventListener('abort', closing);
    this.stop = () => {
      unlisten();
      live.closing.removeEventListener('abort', closing);
    };
  }

  /** The next change; undefined when the subscription ends (drain, or a subscriber too slow). */
  async next(): Promise<ConversationChange | undefined> {
    while (this.#waiting.length === 0 && !this.#overflowed && !this.live.closing.aborted) await new Promise<void>((resolve) => (this.#wake = resolve));
    if (this.live.closing.aborted) return undefined;
    if (this.#overflowed) {
      this.live.tooSlow();
      return undefined;
    }
    return this.#waiting.shift();
  }
}

