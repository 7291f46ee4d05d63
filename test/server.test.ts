// Integration tier: the HTTP front (routes, body limits, CSRF, request ids, operation logs).
import { beforeEach, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../src/config.js';
import { SANDBOX_IDS } from '../sandbox/data.js';
import { LOCATION_A, stackPerSuite } from './support/stack.js';

const MAX_BODY_BYTES = loadConfig({}).limits.maxRequestBodyBytes;

const stack = stackPerSuite();
beforeEach(() => {
  stack.logs.length = 0;
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(stack.service.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('routes', () => {
  it('answers GET /healthz with 200', async () => {
    const response = await fetch(`${stack.service.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers GET /readyz with 200 while serving', async () => {
    const response = await fetch(`${stack.service.url}/readyz`);
    expect(response.status).toBe(200);
  });

  it('answers unknown paths with 404 and points at /graphql', async () => {
    const response = await fetch(`${stack.service.url}/nope`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: 'Not found: GET /nope. GraphQL is served at /graphql.' });
  });

  it('serves queries over GET when the CSRF preflight header is present', async () => {
    const query = encodeURIComponent(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    const response = await fetch(`${stack.service.graphqlUrl}?query=${query}`, {
      headers: { authorization: `Bearer ${LOCATION_A.token}`, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
  });

  it('refuses a simple GET without a preflight header (CSRF prevention), calling nobody', async () => {
    const query = encodeURIComponent(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    const response = await fetch(`${stack.service.graphqlUrl}?query=${query}`, {
      headers: { authorization: `Bearer ${LOCATION_A.token}` },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('CSRF');
    expect(stack.sandbox.totalCalls()).toBe(0);
  });
});

describe('request bodies', () => {
  it('answers malformed JSON with 400 BAD_REQUEST', async () => {
    const response = await post('{"query": "{ conversation(id: \\"x\\") { id } }"');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ message: 'Request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('answers a body over the limit with 413 and keeps serving', async () => {
    const huge = JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(3 * 1024 * 1024) } });
    const response = await post(huge);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const after = await post(JSON.stringify({ query: '{ __typename }' }));
    expect(await after.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('accepts a body of exactly the limit', async () => {
    const base = JSON.stringify({ query: '{ __typename }', variables: { pad: '' } });
    const padded = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES - base.length) } });
    expect(Buffer.byteLength(padded)).toBe(MAX_BODY_BYTES);
    const response = await post(padded);
    expect(response.status).toBe(200);
  });

  it('refuses a JSON body in a charset other than UTF-8 with 415', async () => {
    const response = await post(JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'application/json; charset=latin1' });
    expect(response.status).toBe(415);
  });

  it('answers a GraphQL syntax error with 400 and Apollo\'s GRAPHQL_PARSE_FAILED', async () => {
    const response = await post(JSON.stringify({ query: '{ conversation(id: ' }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });
});

describe('request ids and operation logs', () => {
  it('keeps the caller\'s x-request-id, returns it, and logs one line for the operation with it', async () => {
    const answer = await stack.graphql(
      `query Inbox { a: conversation(id: "${SANDBOX_IDS.phone}") { id } b: conversation(id: "${SANDBOX_IDS.missing}") { id } }`,
      { headers: { 'x-request-id': 'req-12345' } },
    );
    expect(answer.headers.get('x-request-id')).toBe('req-12345');
    const lines = stack.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const operations = lines.filter((line) => line.msg === 'graphql operation');
    expect(operations).toEqual([
      expect.objectContaining({ requestId: 'req-12345', operationName: 'Inbox', upstreamCalls: 2, errorCodes: ['NOT_FOUND'] }),
    ]);
    expect(typeof operations[0]?.durationMs).toBe('number');
    const failures = lines.filter((line) => line.msg?.toString().startsWith('upstream request failed'));
    expect(failures).toEqual([expect.objectContaining({ conversationId: SANDBOX_IDS.missing, status: 404, code: 'NOT_FOUND' })]);
  });

  it('generates a request id when the caller sends none or an unusable one', async () => {
    const none = await stack.graphql('{ __typename }');
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const forged = await stack.graphql('{ __typename }', { headers: { 'x-request-id': 'a b\tc' } });
    expect(forged.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
