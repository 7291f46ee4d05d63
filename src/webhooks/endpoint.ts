// POST /webhooks/highlevel: HighLevel's webhooks, verified, de-duplicated and applied, so that cached
// answers never outlive a change HighLevel told of. On only when a key is configured.
//
// Order of checks, each before anything further is read or believed: size (413), signature over the raw
// bytes (401), JSON and the fields every delivery carries (400), replay: a timestamp outside the window
// either way (401), a webhookId seen within it (200, ignored). Then the event: older than the last one
// applied to its conversation changes nothing; else the conversation's cached answers are invalidated
// for every token. Never 5xx for a bad event and never 429: HighLevel retries only on 429, and a
// delivery it retries must be one worth retrying.
import type http from 'node:http';
import type { Config } from '../config.js';
import { readRawBody, sendJson } from '../http.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RedisConnection } from '../redis/connection.js';
import { DeliveryState } from './delivery-state.js';
import type { ConversationEvents } from '../live/conversation-events.js';
import { parseEvent, type WebhookEvent } from './events.js';
import { type WebhookKeys, ed25519Key, rsaKey, verifySignature } from './signatures.js';

export type DeliveryOutcome = 'applied' | 'outdated' | 'duplicate' | 'ignored' | 'unsigned' | 'bad_signature' | 'expired' | 'malformed' | 'too_large';

export interface WebhookTarget {
  /** The upstream client: every token's cached answers of a conversation stop counting. */
  client: { invalidateConversation(conversationId: string): Promise<void> };
  /** The subscribers, on every instance. */
  events: Pick<ConversationEvents, 'publish'>;
}

export class WebhookEndpoint {
  readonly #keys: WebhookKeys;
  readonly #state: DeliveryState;
  readonly #maxBodyBytes: number;
  readonly #maxAgeMs: number;
  #lastRefusalLogged = 0;

  private constructor(
    settings: Config['webhooks'],
    private readonly target: WebhookTarget,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
    redis: RedisConnection | undefined,
  ) {
    this.#keys = {
      ed25519: settings.signaturePublicKey ? ed25519Key(settings.signaturePublicKey) : undefined,
      rsa: settings.publicKey ? rsaKey(settings.publicKey) : undefined,
    };
    this.#maxBodyBytes = settings.maxBodyBytes;
    this.#maxAgeMs = settings.maxAgeSeconds * 1000;
    this.#state = new DeliveryState({ windowMs: this.#maxAgeMs, redis });
  }

  /** The endpoint, or undefined when no key is configured (then the path answers 404). */
  static create(settings: Config['webhooks'], target: WebhookTarget, logger: Logger, metrics: Metrics, redis?: RedisConnection): WebhookEndpoint | undefined {
    if (!settings.signaturePublicKey && !settings.publicKey) return undefined;
    return new WebhookEndpoint(settings, target, logger, metrics, redis);
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendJson(res, 405, { error: 'HighLevel webhooks are POSTed to this path.' });
    }
    const body = Number(req.headers['content-length'] ?? 0) > this.#maxBodyBytes ? undefined : await readRawBody(req, this.#maxBodyBytes);
    if (body === undefined) {
      res.setHeader('connection', 'close');
      return this.#answer(res, 413, 'too_large', `The body exceeds WEBHOOK_MAX_BODY_BYTES (${this.#maxBodyBytes} bytes).`);
    }
    const verdict = verifySignature(this.#keys, body, { ed25519: header(req, 'x-ghl-signature'), rsa: header(req, 'x-wh-signature') });
    if (!verdict.ok) {
      return verdict.reason === 'missing'
        ? this.#answer(res, 401, 'unsigned', 'No x-ghl-signature or x-wh-signature for a configured key.')
        : this.#answer(res, 401, 'bad_signature', 'The signature does not match the body.');
    }
    const parsed = parseEvent(body);
    if (!parsed.ok) return this.#answer(res, 400, 'malformed', `Verified, but ${parsed.problem}.`);
    const { event } = parsed;
    if (Math.abs(Date.now() - event.timestamp) > this.#maxAgeMs) {
      return this.#answer(res, 401, 'expired', 'The timestamp lies outside WEBHOOK_MAX_AGE_SECONDS: a replay, or a clock far off.', event);
    }
    if (!(await this.#state.firstDelivery(event.webhookId))) return this.#answer(res, 200, 'duplicate', undefined, event);
    if (event.conversationId === undefined) return this.#answer(res, 200, 'ignored', undefined, event);
    if (!(await this.#state.newer(event.conversationId, event.timestamp))) return this.#answer(res, 200, 'outdated', undefined, event);
    try {
      await this.target.client.invalidateConversation(event.conversationId);
    } catch (error) {
      // Redis away: the cache is bypassed meanwhile, and its entries expire with the TTL.
      this.logger.warn({ err: error, conversationId: event.conversationId, webhookId: event.webhookId }, 'webhook applied, but the cache could not be invalidated');
    }
    await this.target.events.publish({ conversationId: event.conversationId, timestamp: event.timestamp, fields: event.fields });
    return this.#answer(res, 200, 'applied', undefined, event);
  }

  #answer(res: http.ServerResponse, status: number, outcome: DeliveryOutcome, error: string | undefined, event?: WebhookEvent): void {
    this.metrics.observeWebhook(outcome);
    // Never the body: identifiers only. Refusals at most one line a minute, so a flood stays small.
    const fields = { outcome, type: event?.type, webhookId: event?.webhookId, conversationId: event?.conversationId };
    if (status < 300) this.logger.debug(fields, 'webhook');
    else if (Date.now() - this.#lastRefusalLogged >= 60_000) {
      this.#lastRefusalLogged = Date.now();
      this.logger.warn(fields, `webhook refused: ${error}`);
    }
    sendJson(res, status, status < 300 ? { status: outcome } : { error, status: outcome });
  }
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
