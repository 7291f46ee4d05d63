// What a verified webhook body says, read tolerantly: the fields every delivery carries (`type`,
// `timestamp`, `webhookId`) and, for the events that concern a conversation, which conversation.
// Nothing else of the body is kept: message bodies and contact data are customer data, never logged.
import { isObject } from '../json.js';
import { type ChangedFields, changedFields } from '../live/conversation-events.js';

export type WebhookEvent = {
  type: string;
  webhookId: string;
  /** Epoch ms of the event's `timestamp`. */
  timestamp: number;
  /** The conversation it changes, for the event types that change one. */
  conversationId: string | undefined;
  /** The conversation's fields the event gives (ConversationUnreadUpdate), for subscribers. */
  fields: ChangedFields;
};

export type ParsedEvent = { ok: true; event: WebhookEvent } | { ok: false; problem: string };

/** Where each handled type names its conversation. */
const CONVERSATION_FIELD: Readonly<Record<string, string>> = {
  ConversationUnreadUpdate: 'id',
  InboundMessage: 'conversationId',
  OutboundMessage: 'conversationId',
};

export function parseEvent(body: Buffer): ParsedEvent {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
  if (!isObject(value)) return { ok: false, problem: 'the body is not a JSON object' };
  const { type, webhookId, timestamp } = value;
  if (typeof type !== 'string' || type === '') return { ok: false, problem: 'the body has no "type"' };
  if (typeof webhookId !== 'string' || webhookId === '') return { ok: false, problem: 'the body has no "webhookId"' };
  const at = typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(at)) return { ok: false, problem: 'the body has no ISO 8601 "timestamp"' };
  const field = CONVERSATION_FIELD[type];
  const conversationId = field === undefined ? undefined : value[field];
  if (field !== undefined && (typeof conversationId !== 'string' || conversationId === '')) {
    return { ok: false, problem: `a ${type} event without "${field}"` };
  }
  const fields = type === 'ConversationUnreadUpdate' ? changedFields(value) : {};
  return { ok: true, event: { type, webhookId, timestamp: at, conversationId: conversationId as string | undefined, fields } };
}
