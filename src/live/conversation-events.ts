// Changes HighLevel told of (verified webhooks), passed to the subscribers of the conversations they
// concern, on every instance: through Redis pub/sub when REDIS_URL is set (an event a webhook brought to
// one instance reaches subscribers on all), in process otherwise and whenever Redis does not answer.
//
// A change carries the fields the event gave (ConversationUnreadUpdate: unreadCount, inbox, starred,
// deleted, contactId; a message event none) and the event's timestamp. Subscribers lay the fields over
// the record they last read; none of this costs an upstream call.
import type { Redis } from 'ioredis';
import type { RedisConnection } from '../redis/connection.js';
import type { ConversationRecord } from '../upstream/conversation-record.js';
import { isObject } from '../json.js';

export type ChangedFields = Partial<Pick<ConversationRecord, 'contactId' | 'unreadCount' | 'inbox' | 'starred' | 'deleted'>>;

export interface ConversationChange {
  conversationId: string;
  /** Epoch ms of the event. */
  timestamp: number;
  fields: ChangedFields;
}

type Listener = (change: ConversationChange) => void;

export class ConversationEvents {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #redis: RedisConnection | undefined;
  readonly #channel: string;
  #subscriber: Redis | undefined;

  constructor(redis?: RedisConnection) {
    this.#redis = redis;
    this.#channel = redis ? redis.key('conversation-changes') : '';
  }

  /** Starts listening to the other instances (a second connection: a subscribed one can do nothing else). */
  async start(): Promise<void> {
    if (!this.#redis) return;
    const subscriber = this.#redis.client.duplicate();
    this.#subscriber = subscriber;
    // Errors are the main connection's business (health, metrics); this one reconnects and resubscribes by itself.
    subscriber.on('error', () => undefined);
    subscriber.on('message', (_channel: string, message: string) => this.#deliver(parseChange(message)));
    // On every (re)connection, also one made after a start without Redis; subscribing twice is harmless.
    subscriber.on('ready', () => void subscriber.subscribe(this.#channel).catch(() => undefined));
    await subscriber.connect().catch(() => undefined);
  }

  /** To every subscriber of the conversation, on every instance. */
  async publish(change: ConversationChange): Promise<void> {
    if (this.#redis?.available && this.#subscriber?.status === 'ready') {
      try {
        await this.#redis.run((client) => client.publish(this.#channel, JSON.stringify(change)));
        return;
      } catch {
        // Redis went away: the subscribers of this instance still hear of it.
      }
    }
    this.#deliver(change);
  }

  /** Calls `listener` for every change of these conversations until the returned function is called. */
  listen(conversationIds: readonly string[], listener: Listener): () => void {
    for (const id of conversationIds) {
      let listeners = this.#listeners.get(id);
      if (!listeners) this.#listeners.set(id, (listeners = new Set()));
      listeners.add(listener);
    }
    return () => {
      for (const id of conversationIds) {
        const listeners = this.#listeners.get(id);
        listeners?.delete(listener);
        if (listeners?.size === 0) this.#listeners.delete(id);
      }
    };
  }

  async close(): Promise<void> {
    this.#subscriber?.disconnect();
  }

  #deliver(change: ConversationChange | undefined): void {
    if (!change) return;
    for (const listener of this.#listeners.get(change.conversationId) ?? []) listener(change);
  }
}

const FIELD_TYPES: Record<keyof ChangedFields, 'string' | 'number' | 'boolean'> = {
  contactId: 'string',
  unreadCount: 'number',
  inbox: 'boolean',
  starred: 'boolean',
  deleted: 'boolean',
};

/** The fields of an event body that a Conversation has, when they have the right type; others are dropped. */
export function changedFields(body: Record<string, unknown>): ChangedFields {
  const fields: Record<string, unknown> = {};
  for (const [name, type] of Object.entries(FIELD_TYPES)) {
    const value = body[name];
    if (typeof value !== type) continue;
    if (name === 'unreadCount' && !(Number.isInteger(value) && (value as number) >= 0)) continue;
    fields[name] = value;
  }
  return fields as ChangedFields;
}

function parseChange(message: string): ConversationChange | undefined {
  try {
    const value: unknown = JSON.parse(message);
    if (!isObject(value) || typeof value.conversationId !== 'string' || typeof value.timestamp !== 'number' || !isObject(value.fields)) return undefined;
    return { conversationId: value.conversationId, timestamp: value.timestamp, fields: changedFields(value.fields) };
  } catch {
    return undefined;
  }
}
