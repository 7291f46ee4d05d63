// What the webhook endpoint remembers between deliveries: the webhookIds already seen within the replay
// window (a redelivery is acknowledged and ignored), and per conversation the `timestamp` of the last
// event applied (HighLevel does not keep order: an older event arriving later changes nothing).
//
// In Redis when REDIS_URL is set, so that every instance agrees; in process otherwise, and whenever
// Redis does not answer (then each instance remembers on its own, which still stops replays to it).
import { LRUCache } from 'lru-cache';
import type { RedisConnection } from '../redis/connection.js';
import { RedisUnavailableError } from '../redis/connection.js';

const MAX_REMEMBERED = 100_000;
/** How long the last applied timestamp of a conversation is kept: longer than any delivery is late. */
const APPLIED_MEMORY_MS = 24 * 60 * 60 * 1000;

/** Sets the conversation's last applied timestamp unless the event is older; returns 1 when it was set. */
const NEWER = `
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) < last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

export class DeliveryState {
  readonly #seen: LRUCache<string, true>;
  readonly #applied = new LRUCache<string, number>({ max: MAX_REMEMBERED, ttl: APPLIED_MEMORY_MS });
  readonly #redis: RedisConnection | undefined;
  readonly #windowMs: number;

  constructor(options: { windowMs: number; redis?: RedisConnection | undefined }) {
    this.#windowMs = options.windowMs;
    this.#redis = options.redis;
    this.#seen = new LRUCache({ max: MAX_REMEMBERED, ttl: options.windowMs * 2 });
    if (this.#redis && !('hlgql_webhook_newer' in this.#redis.client)) this.#redis.client.defineCommand('hlgql_webhook_newer', { numberOfKeys: 1, lua: NEWER });
  }

  /** True the first time this webhookId comes within the replay window (before and after `timestamp` alike). */
  async firstDelivery(webhookId: string): Promise<boolean> {
    const shared = await this.#shared((client) => client.set(this.#redis!.key(`webhook:${webhookId}`), '1', 'PX', this.#windowMs * 2, 'NX'));
    if (shared !== undefined) return shared === 'OK';
    if (this.#seen.has(webhookId)) return false;
    this.#seen.set(webhookId, true);
    return true;
  }

  /** True unless this event is older than the last one applied to the conversation (it is now the last). */
  async newer(conversationId: string, timestamp: number): Promise<boolean> {
    const key = this.#redis?.key(`{conversation:${conversationId}}:applied`);
    const shared = await this.#shared((client) =>
      (client as unknown as { hlgql_webhook_newer(key: string, at: number, ttl: number): Promise<number> }).hlgql_webhook_newer(key as string, timestamp, APPLIED_MEMORY_MS),
    );
    if (shared !== undefined) return shared === 1;
    const last = this.#applied.get(conversationId);
    // Equal is newer enough: two events of one millisecond (a message and its unread update) both count;
    // a redelivery of the same one is caught by its webhookId.
    if (last !== undefined && timestamp < last) return false;
    this.#applied.set(conversationId, timestamp);
    return true;
  }

  /** The Redis answer, or undefined when there is no Redis or it did not answer. */
  async #shared<T>(command: (client: RedisConnection['client']) => Promise<T>): Promise<T | undefined> {
    if (!this.#redis?.available) return undefined;
    try {
      return await this.#redis.run(command);
    } catch (error) {
      if (error instanceof RedisUnavailableError) return undefined;
      throw error;
    }
  }
}
