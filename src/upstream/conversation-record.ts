// HighLevel's conversation record as it comes over the wire, and the tolerant parser that accepts it.
//
// Tolerant on purpose: HighLevel adds keys, sends `type` as a number today and as a `TYPE_*` string in
// other endpoints, and wraps records as `{ success, conversation }` in some responses. None of that may
// fail a read. What must hold is what the schema promises as non-null: ids, flags and the unread count.
//
// Checked by hand rather than with a schema library: this runs once per upstream call, on the hot path,
// and the checks are a handful of typeof tests.
import { isObject } from '../json.js';

/** The problem with a value, or undefined when it is acceptable. */
type Check = (value: unknown) => string | undefined;

const nonEmptyString: Check = (value) => (typeof value === 'string' && value.length > 0 ? undefined : `expected a non-empty string, got ${describe(value)}`);
const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : `expected a boolean, got ${describe(value)}`);
const count: Check = (value) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? undefined : `expected a whole number >= 0, got ${describe(value)}`;
const optionalString: Check = (value) => (value === undefined || value === null || typeof value === 'string' ? undefined : `expected a string or null, got ${describe(value)}`);
const optionalBoolean: Check = (value) => (value === undefined || value === null || typeof value === 'boolean' ? undefined : `expected a boolean or null, got ${describe(value)}`);

/** In the order problems are reported: the first field that fails names the problem. */
const CHECKS: ReadonlyArray<readonly [keyof ConversationRecord, Check]> = [
  ['id', nonEmptyString],
  ['contactId', nonEmptyString],
  ['locationId', nonEmptyString],
  ['deleted', boolean],
  ['inbox', boolean],
  ['unreadCount', count],
  // `type` is not checked: numbers 1-6 today, new numbers or strings tomorrow. Translated by the Conversation resolver.
  ['assignedTo', optionalString],
  ['starred', optionalBoolean],
];

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
  if (!isObject(candidate)) return { ok: false, problem: `body: expected a JSON object, got ${describe(candidate)}` };
  for (const [field, check] of CHECKS) {
    const problem = check(candidate[field]);
    if (problem !== undefined) return { ok: false, problem: `${field}: ${problem}` };
  }
  const { id, contactId, locationId, deleted, inbox, unreadCount, type, assignedTo, starred } = candidate as unknown as ConversationRecord;
  return { ok: true, record: { id, contactId, locationId, deleted, inbox, unreadCount, type, assignedTo, starred } };
}

/** A value's kind for a message; never the value itself, which may be long or sensitive. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === '') return 'an empty string';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'a fraction';
  if (typeof value === 'number' && value < 0) return 'a negative number';
  const kind = typeof value;
  return kind === 'undefined' ? 'nothing' : kind === 'object' ? 'an object' : `a ${kind}`;
}

