// Per-request loading of conversations.
//
// A loader lives exactly as long as one GraphQL request and carries that request's credentials: the
// token decides whose data HighLevel returns, so a cache shared between requests could serve one
// caller's conversation to another. Within a request, DataLoader collapses every load of the same id
// (aliases, list entries, entity references) into one upstream call.
import DataLoader from 'dataloader';
import { UnauthenticatedError } from './errors.js';
import type { Context } from '@opentelemetry/api';
import type { CallOptions, CallerHandle } from './upstream/client.js';
import type { ConversationRecord } from './upstream/conversation-record.js';
import { assertValidConversationId } from './upstream/conversation-id.js';

export class ConversationLoader {
  /** Undefined when the request carries no credentials: then every load fails without a call. */
  readonly #loader: DataLoader<string, ConversationRecord> | undefined;
  /** Requests really sent upstream for this request, retries included (the client counts them). */
  readonly #attempts = { count: 0 };
  /** Lookups the private cache answered for this request. */
  readonly #cacheHits = { count: 0 };

  /**
   * @param caller the request's handle (its Authorization value), or undefined when the request has none.
   * @param limits `deadline`: epoch ms by which the operation needs its answers; `maxConcurrent`: upstream
   *   calls this request may have in flight at once.
   */
  constructor(
    caller: CallerHandle | undefined,
    limits: { deadline: number; maxConcurrent: number; requestId?: string; traceContext?: Context | undefined; onBatch?: (size: number) => void },
  ) {
    if (caller === undefined) return;
    const concurrency = new CallCap(limits.maxConcurrent);
    // One GET per distinct id, started together up to the concurrency cap; one result or one error per
    // key, in key order.
    const call: CallOptions = { deadline: limits.deadline, attempts: this.#attempts, cacheHits: this.#cacheHits, traceContext: limits.traceContext };
    if (limits.requestId) call.requestId = limits.requestId;
    this.#loader = new DataLoader((ids) => {
      limits.onBatch?.(ids.length);
      return Promise.all(
        ids.map((id) =>
          concurrency.run(() => caller.getConversation(id, call)).catch((error: unknown) =>
            error instanceof Error ? error : new Error(String(error)),
          ),
        ),
      );
    });
  }

  /** Upstream requests made for this request so far, retries included (for the operation's log line). */
  get upstreamCalls(): number {
    return this.#attempts.count;
  }

  /** Lookups the private cache answered for this request, without an upstream call. */
  get cacheHits(): number {
    return this.#cacheHits.count;
  }

  /**
   * The conversation with this id. Invalid ids and missing credentials fail here, before DataLoader,
   * so they never cost an upstream call.
   */
  load(id: string): Promise<ConversationRecord> {
    try {
      assertValidConversationId(id);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#loader === undefined) {
      return Promise.reject(
        new UnauthenticatedError(
          'No credentials: send an "Authorization: Bearer <token>" header, or configure HIGHLEVEL_API_TOKEN.',
        ),
      );
    }
    return this.#loader.load(id);
  }
}

/**
 * At most `max` calls in flight; the others start, in order, as running ones finish. Written here rather
 * than with p-limit: p-limit adds several promise hops to every call, even under its limit, and nearly
 * every operation stays under it (the cap is for fan-out); here a call under the cap starts at once.
 */
class CallCap {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  run<T>(start: () => Promise<T>): Promise<T> {
    if (this.#active < this.max) {
      this.#active += 1;
      return this.#track(start());
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve)).then(() => this.#track(start()));
  }

  #track<T>(call: Promise<T>): Promise<T> {
    call.then(this.#release, this.#release);
    return call;
  }

  /** A finished call hands its place to the next waiting one, so the count never passes `max`. */
  readonly #release = (): void => {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active -= 1;
  };
}
