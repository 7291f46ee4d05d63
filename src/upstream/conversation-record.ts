// HighLevel's conversation record as it comes over the wire, and the tolerant parser that accepts it.
//
// Tolerant on purpose: HighLevel adds keys, sends `type` as a number today and as a `TYPE_*` string in
// other endpoints, and wraps records as `{ success, conversation }` in some responses. None of that may
// fail a read. What must hold is what the schema promises as non-null: ids, flags and the unread count.
import { z } from 'zod';

const recordSchema = z.looseObject({
  id: z.string().min(1),
  contactId: z.string().min(1),
  locationId: z.string().min(1),
  deleted: z.boolean(),
  inbox: z.boolean(),
  unreadCount: z.number().int().nonnegative(),
  // Anything: numbers 1-6 today, new numbers or strings tomorrow. Translated by the Conversation resolver.
  type: z.unknown(),
  assignedTo: z.string().nullish(),
  starred: z.boolean().nullish(),
});

/** The fields of HighLevel's record the service reads; resolvers translate it into the GraphQL type. */
export interface ConversationRecord {
  id: string;
  contactId: string;
  locationId: string;
  deleted: boolean;
  inbox: boolean;
  unreadCount: number;
  type: unknown;
  assignedTo?: string | null | undefined;
  starred?: boolean | null | undefined;
}

export type ParseResult = { ok: true; record: ConversationRecord } | { ok: false; problem: string };

/**
 * Reads a conversation out of a parsed 2xx body: flat, or wrapped in a `conversation` key.
 * Extra keys are ignored (and dropped, so nothing unexpected reaches resolvers).
 */
export function parseConversationBody(body: unknown): ParseResult {
  const candidate =
    isObject(body) && isObject(body.conversation) && !('id' in body) ? body.conversation : body;
  const parsed = recordSchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'body';
    return { ok: false, problem: `${where}: ${issue?.message ?? 'not a conversation'}` };
  }
  const { id, contactId, locationId, deleted, inbox, unreadCount, type, assignedTo, starred } = parsed.data;
  return { ok: true, record: { id, contactId, locationId, deleted, inbox, unreadCount, type, assignedTo, starred } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
