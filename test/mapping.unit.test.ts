// Unit tier: the pure translation steps: ids, record parsing, channel types, HTTP answers to errors.
import { Writable } from 'node:stream';
import type { GraphQLEnumType } from 'graphql';
import { describe, expect, it } from '@jest/globals';
import { channelTypeOf } from '../src/channel-type.js';
import { ERROR_CODES } from '../src/errors.js';
import { createLogger } from '../src/observability/logger.js';
import { assertValidConversationId, conversationPath } from '../src/upstream/conversation-id.js';
import { parseConversationBody } from '../src/upstream/conversation-record.js';
import { errorFromStatus, upstreamDetails } from '../src/upstream/error-mapping.js';
import { scrubberFor } from '../src/upstream/secret-scrubber.js';

/** The scrubber of a token that none of these answers contains. */
const scrub = scrubberFor('Bearer pit-not-in-any-answer');

const RECORD = {
  id: 'tDtDnQdgm2LXpyiqYvZ6',
  contactId: 've9EPM428kjkvShlRW1KT',
  locationId: 'ZyXwVuTsRqPoNmLkJiHg',
  deleted: false,
  inbox: true,
  type: 1,
  unreadCount: 2,
};

function codeOf(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return (error as { extensions?: { code?: unknown } }).extensions?.code;
  }
  return undefined;
}

describe('conversation ids', () => {
  it.each(['tDtDnQdgm2LXpyiqYvZ6', 'a', 'x'.repeat(128), '...', 'a.b', 'ünïcødé', 'a/b', 'a?b=c', '../contacts/x'])(
    'accepts %j (it is encoded into one path segment)',
    (id) => {
      expect(() => assertValidConversationId(id)).not.toThrow();
    },
  );

  it.each([
    ['the empty string', ''],
    ['129 characters', 'x'.repeat(129)],
    ['"."', '.'],
    ['".."', '..'],
    ['a newline', 'abc\ndef'],
    ['a NUL', 'abc\u0000'],
    ['DEL', 'abc\u007f'],
    ['a C1 control', 'abc\u0085'],
    ['a lone surrogate', 'abc\ud800'],
  ])('refuses %s with BAD_USER_INPUT', (_label, id) => {
    expect(codeOf(() => assertValidConversationId(id))).toBe('BAD_USER_INPUT');
  });

  it('does not echo an overlong id in the error message', () => {
    const id = 'y'.repeat(10_000);
    expect(() => assertValidConversationId(id)).toThrow('at most 128 characters; got 10000');
  });

  it('encodes every id into exactly one path segment', () => {
    expect(conversationPath('../contacts/x')).toBe('/conversations/..%2Fcontacts%2Fx');
    expect(conversationPath('a?b=c')).toBe('/conversations/a%3Fb%3Dc');
    expect(conversationPath('a#b')).toBe('/conversations/a%23b');
  });
});

describe('parseConversationBody', () => {
  it('reads a flat record and drops keys it does not know', () => {
    const result = parseConversationBody({ ...RECORD, starred: true, lastMessageBody: 'hi', traceId: 't' });
    expect(result).toEqual({ ok: true, record: { ...RECORD, starred: true, assignedTo: undefined } });
  });

  it('unwraps a record sent as { success, conversation }', () => {
    const result = parseConversationBody({ success: true, conversation: { ...RECORD, assignedTo: 'u1' }, traceId: 'x' });
    expect(result).toMatchObject({ ok: true, record: { id: RECORD.id, assignedTo: 'u1' } });
  });

  it('keeps any value of type for the resolver to translate', () => {
    expect(parseConversationBody({ ...RECORD, type: 'TYPE_EMAIL' })).toMatchObject({ ok: true, record: { type: 'TYPE_EMAIL' } });
    expect(parseConversationBody({ ...RECORD, type: 99 })).toMatchObject({ ok: true, record: { type: 99 } });
  });

  it.each([
    ['a missing id', { ...RECORD, id: undefined }, 'id'],
    ['a numeric unreadCount as string', { ...RECORD, unreadCount: '2' }, 'unreadCount'],
    ['a negative unreadCount', { ...RECORD, unreadCount: -1 }, 'unreadCount'],
    ['a deleted flag that is not boolean', { ...RECORD, deleted: 'no' }, 'deleted'],
    ['an unrelated object', { foo: 'bar' }, 'id'],
    ['an array', [RECORD], 'body'],
    ['null', null, 'body'],
  ])('refuses %s, naming the field', (_label, body, field) => {
    const result = parseConversationBody(body);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problem).toMatch(new RegExp(`^${field}`));
  });

  it.each([
    [{ ...RECORD, unreadCount: -1 }, 'unreadCount: expected a whole number >= 0, got a negative number'],
    [{ ...RECORD, unreadCount: 1.5 }, 'unreadCount: expected a whole number >= 0, got a fraction'],
    [{ ...RECORD, contactId: '' }, 'contactId: expected a non-empty string, got an empty string'],
    [{ ...RECORD, assignedTo: 7 }, 'assignedTo: expected a string or null, got a number'],
    [{ ...RECORD, starred: 'yes' }, 'starred: expected a boolean or null, got a string'],
    [{ ...RECORD, inbox: null }, 'inbox: expected a boolean, got null'],
    [[RECORD], 'body: expected a JSON object, got an array'],
    [{ ...RECORD, deleted: {} }, 'deleted: expected a boolean, got an object'],
  ])('says what was wrong with the value, never the value itself (%#)', (body, problem) => {
    expect(parseConversationBody(body)).toEqual({ ok: false, problem });
  });

  it('accepts null assignedTo and starred, as HighLevel sends for unassigned, unstarred threads', () => {
    expect(parseConversationBody({ ...RECORD, assignedTo: null, starred: null })).toMatchObject({ ok: true, record: { assignedTo: null, starred: null } });
  });
});

describe('channelTypeOf', () => {
  function capture() {
    const lines: string[] = [];
    const logger = createLogger('warn', new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }));
    return { lines, logger };
  }

  it.each([
    [1, 'PHONE'],
    [2, 'EMAIL'],
    [3, 'FACEBOOK_MESSENGER'],
    [4, 'REVIEW'],
    [5, 'GROUP_SMS'],
    [6, 'INTERNAL_CHAT'],
  ])('maps %d to %s', (value, expected) => {
    expect(channelTypeOf(value, capture().logger)).toBe(expected);
  });

  it('maps unknown values to UNKNOWN and warns once per value', () => {
    const { lines, logger } = capture();
    expect(channelTypeOf(4242, logger)).toBe('UNKNOWN');
    expect(channelTypeOf(4242, logger)).toBe('UNKNOWN');
    expect(channelTypeOf('TYPE_SOMETHING_NEW', logger)).toBe('UNKNOWN');
    expect(channelTypeOf('1', logger)).toBe('UNKNOWN');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 40, upstreamType: '4242' });
  });
});

describe('error mapping', () => {
  const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
    status,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  it.each([
    [400, 'BAD_USER_INPUT'],
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [422, 'UNPROCESSABLE_ENTITY'],
    [429, 'RATE_LIMITED'],
    [409, 'UPSTREAM_ERROR'],
    [500, 'UPSTREAM_ERROR'],
    [503, 'UPSTREAM_ERROR'],
  ])('maps HTTP %d to %s', (status, code) => {
    const error = errorFromStatus(answer(status, { statusCode: status, message: 'x' }), 'abc', scrub);
    expect(error.extensions.code).toBe(code);
    expect(ERROR_CODES).toContain(code);
    expect(error.extensions.upstream).toEqual({ status, messages: ['x'] });
    expect(error.extensions).not.toHaveProperty('http');
  });

  it('keeps every message of a 422 array and the traceId', () => {
    const details = upstreamDetails(answer(422, { statusCode: 422, message: ['a is bad', 'b is bad'], traceId: 'tr-1' }), scrub);
    expect(details).toEqual({ status: 422, messages: ['a is bad', 'b is bad'], traceId: 'tr-1' });
  });

  it('tolerates error bodies that are not JSON', () => {
    expect(upstreamDetails(answer(502, '<html>Bad gateway</html>'), scrub)).toEqual({ status: 502, messages: [] });
  });

  it('cuts the caller token out of anything HighLevel says', () => {
    const error = errorFromStatus(answer(401, { message: 'token pit-abcdef123 is bad' }), 'abc', scrubberFor('Bearer pit-abcdef123'));
    expect(JSON.stringify(error.extensions)).not.toContain('pit-abcdef123');
    expect(error.message).not.toContain('pit-abcdef123');
    expect(error.message).toContain('[REDACTED]');
  });

  it('puts retryAfter and the burst scope on RATE_LIMITED', () => {
    const error = errorFromStatus(answer(429, { statusCode: 429, message: 'Too many' }, { 'retry-after': '3' }), 'abc', scrub);
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 3, scope: 'burst' });
    const noHeader = errorFromStatus(answer(429, {}, { 'x-ratelimit-interval-milliseconds': '10000' }), 'abc', scrub);
    expect(noHeader.extensions).toMatchObject({ retryAfter: 10, scope: 'burst' });
  });

  it('tells a daily-quota 429 apart', () => {
    const error = errorFromStatus(answer(429, {}, { 'x-ratelimit-daily-remaining': '0', 'retry-after': '3600' }), 'abc', scrub);
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 3600, scope: 'daily' });
    expect(error.message).toBe("HighLevel's daily quota for this location is used up");
  });
});

describe('the ErrorCode enum of the schema', () => {
  it('lists exactly the codes the server can return', async () => {
    const { createSchema } = await import('../src/schema.js');
    const { ALL_ERROR_CODES } = await import('../src/errors.js');
    const enumType = createSchema().getType('ErrorCode') as GraphQLEnumType;
    expect(new Set(enumType.getValues().map((value) => value.name))).toEqual(new Set(ALL_ERROR_CODES));
    expect(ALL_ERROR_CODES).toHaveLength(new Set(ALL_ERROR_CODES).size);
  });
});
