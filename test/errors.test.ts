// Integration tier: every row of the error table, produced by the sandbox over real HTTP.
import net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { ERROR_CODES } from '../src/errors.js';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS } from '../sandbox/data.js';
import { LOCATION_A, type Stack, postGraphQL, stackPerSuite, startStack } from './support/stack.js';

const QUERY = `query One($id: ID!) { conversation(id: $id) { id } }`;

// This suite maps each outcome once; retries and the breaker have their own suite (resilience.test.ts).
// A short deadline keeps 429s with long Retry-After from being retried, and a high minimum of calls keeps
// the breaker, which would open after this suite's run of 5xx, out of the way.
const stack = stackPerSuite({ config: { upstream: { timeoutMs: 500 }, limits: { operationDeadlineMs: 3000 }, breaker: { minCalls: 100_000 } } });

async function failure(id: string, options: Parameters<Stack['graphql']>[1] = {}) {
  const { status, body } = await stack.graphql(QUERY, { variables: { id }, ...options });
  expect(status).toBe(200);
  expect(body.data).toEqual({ conversation: null });
  expect(body.errors).toHaveLength(1);
  const [error] = body.errors ?? [];
  expect(error?.path).toEqual(['conversation']);
  expect(ERROR_CODES).toContain(error?.extensions?.code);
  expect(error?.extensions).not.toHaveProperty('http');
  return error as { message: string; extensions: Record<string, unknown> };
}

describe('the error table, row by row', () => {
  it('400 becomes BAD_USER_INPUT with HighLevel\'s message', async () => {
    const error = await failure(SANDBOX_FAULT_IDS.badRequest);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', upstream: { status: 400, messages: ['Bad Request'] } });
  });

  it('401 for an invalid token becomes UNAUTHENTICATED, saying which', async () => {
    const error = await failure(SANDBOX_IDS.phone, { token: 'pit-not-a-real-token' });
    expect(error.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      upstream: { status: 401, messages: ['Invalid token: access token is invalid'] },
    });
    expect(error.message).toContain('Invalid token');
  });

  it('401 for a bad Version header becomes UNAUTHENTICATED, saying which', async () => {
    const other = await startStack({ config: { upstream: { baseUrl: stack.sandbox.url, apiVersion: '1999-01-01' } } });
    try {
      const { body } = await postGraphQL(other.service.graphqlUrl, QUERY, { variables: { id: SANDBOX_IDS.phone } });
      expect(body.errors?.[0]?.extensions).toMatchObject({
        code: 'UNAUTHENTICATED',
        upstream: { status: 401, messages: ['version header is invalid'] },
      });
    } finally {
      await other.stop();
    }
  });

  it('403 for another location\'s conversation becomes FORBIDDEN', async () => {
    const error = await failure(SANDBOX_IDS.otherLocation);
    expect(error.extensions).toMatchObject({
      code: 'FORBIDDEN',
      upstream: { status: 403, messages: ['The token does not have access to this location.'] },
    });
  });

  it('404 becomes NOT_FOUND', async () => {
    const error = await failure(SANDBOX_IDS.missing);
    expect(error.extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { status: 404, messages: ['Conversation not found'] } });
    // HighLevel's traceId is passed on, so a client can quote it to HighLevel's support.
    expect((error.extensions.upstream as { traceId?: unknown }).traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).toBe(`Conversation "${SANDBOX_IDS.missing}" was not found`);
  });

  it('422 becomes UNPROCESSABLE_ENTITY keeping every message of the array', async () => {
    stack.sandbox.setFault('*', {
      kind: 'status',
      status: 422,
      body: { statusCode: 422, message: ['conversationId is too short', 'conversationId must be alphanumeric'], error: 'Unprocessable Entity' },
    });
    const error = await failure('x');
    expect(error.extensions).toMatchObject({
      code: 'UNPROCESSABLE_ENTITY',
      upstream: { status: 422, messages: ['conversationId is too short', 'conversationId must be alphanumeric'] },
    });
  });

  it('the sandbox\'s own 422 for a malformed id is UNPROCESSABLE_ENTITY too', async () => {
    const error = await failure('not an id!');
    expect(error.extensions).toMatchObject({ code: 'UNPROCESSABLE_ENTITY', upstream: { status: 422, messages: ['conversationId must be a valid id'] } });
  });

  it('429 becomes RATE_LIMITED with retryAfter from Retry-After', async () => {
    // A 429 holds back every call with its token for Retry-After: use a token no other test uses.
    const error = await failure(SANDBOX_FAULT_IDS.burstLimited, { token: 'pit-only-for-the-429-test' });
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 7, scope: 'burst', upstream: { status: 429 } });
  });

  it('the sandbox\'s real rate limit surfaces as RATE_LIMITED once the burst is spent', async () => {
    // Three calls start at once, before any X-RateLimit header can teach the service the limit of 2;
    // the third one's 429 asks for a 10 s wait, longer than the 1 s deadline, so it is not retried.
    const limited = await startStack({ sandbox: { burstLimit: 2, burstIntervalMs: 10_000 }, config: { limits: { operationDeadlineMs: 1000 } } });
    try {
      const ids = [SANDBOX_IDS.phone, SANDBOX_IDS.email, SANDBOX_IDS.facebook];
      const { body } = await limited.graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids } });
      const codes = (body.errors ?? []).map((error) => error.extensions?.code);
      expect(codes).toEqual(['RATE_LIMITED']);
      expect(body.errors?.[0]?.extensions).toMatchObject({ retryAfter: 10, scope: 'burst', upstream: { status: 429 } });
      expect(limited.sandbox.totalCalls()).toBe(3);
      expect((body.data?.conversations as unknown[]).filter((item) => item === null)).toHaveLength(1);
    } finally {
      await limited.stop();
    }
  });

  it.each([500, 502, 503, 409])('any other non-2xx (%d) becomes UPSTREAM_ERROR', async (status) => {
    stack.sandbox.setFault(SANDBOX_IDS.phone, { kind: 'status', status });
    const error = await failure(SANDBOX_IDS.phone);
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_ERROR', upstream: { status } });
  });

  it('a request that outlives HIGHLEVEL_TIMEOUT_MS becomes UPSTREAM_TIMEOUT', async () => {
    const started = Date.now();
    const error = await failure(SANDBOX_FAULT_IDS.hang);
    expect(error.extensions.code).toBe('UPSTREAM_TIMEOUT');
    expect(error.message).toBe('HighLevel did not answer within 500 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('a reset connection becomes UPSTREAM_UNREACHABLE', async () => {
    const error = await failure(SANDBOX_FAULT_IDS.reset);
    expect(error.extensions.code).toBe('UPSTREAM_UNREACHABLE');
  });

  it('a refused connection becomes UPSTREAM_UNREACHABLE, without the upstream URL in the message', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const unreachable = await startStack({ config: { upstream: { baseUrl: `http://127.0.0.1:${closedPort}` } } });
    try {
      const { body } = await postGraphQL(unreachable.service.graphqlUrl, QUERY, { variables: { id: SANDBOX_IDS.phone } });
      expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNREACHABLE');
      expect(body.errors?.[0]?.message).toBe('HighLevel could not be reached (ECONNREFUSED)');
    } finally {
      await unreachable.stop();
    }
  });

  it('a DNS failure becomes UPSTREAM_UNREACHABLE', async () => {
    const nowhere = await startStack({ config: { upstream: { baseUrl: 'http://no-such-host.invalid' } } });
    try {
      const { body } = await postGraphQL(nowhere.service.graphqlUrl, QUERY, { variables: { id: SANDBOX_IDS.phone } });
      expect(body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNREACHABLE');
      expect(body.errors?.[0]?.message).toMatch(/^HighLevel could not be reached \((ENOTFOUND|EAI_AGAIN)\)$/);
    } finally {
      await nowhere.stop();
    }
  });

  it.each([
    ['a non-JSON 200', SANDBOX_FAULT_IDS.notJson, /the body is not a JSON object/],
    ['a JSON 200 that is not a conversation', SANDBOX_FAULT_IDS.invalidShape, /^HighLevel's answer is not a conversation \(id: /],
  ])('%s becomes UPSTREAM_INVALID_RESPONSE', async (_label, id, message) => {
    const error = await failure(id);
    expect(error.extensions).toMatchObject({ code: 'UPSTREAM_INVALID_RESPONSE', upstream: { status: 200 } });
    expect(error.message).toMatch(message);
  });
});

describe('credentials', () => {
  it('fails every conversation field with UNAUTHENTICATED and calls nobody when there is no token at all', async () => {
    const { status, body } = await stack.graphql(
      `{ a: conversation(id: "${SANDBOX_IDS.phone}") { id } b: conversations(ids: ["${SANDBOX_IDS.email}"]) { id } }`,
      { token: null },
    );
    expect(status).toBe(200);
    expect(body.data).toEqual({ a: null, b: [null] });
    expect((body.errors ?? []).map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    expect(stack.sandbox.totalCalls()).toBe(0);
  });

  it('uses HIGHLEVEL_API_TOKEN when the request carries no Authorization header, and the caller\'s when it does', async () => {
    const configured = await startStack({ config: { upstream: { token: LOCATION_A.token } } });
    try {
      const { body } = await configured.graphql(QUERY, { variables: { id: SANDBOX_IDS.phone }, token: null });
      expect(body.data?.conversation).toEqual({ id: SANDBOX_IDS.phone });
      expect(configured.sandbox.requests[0]?.headers.authorization).toBe(`Bearer ${LOCATION_A.token}`);
      await configured.graphql(QUERY, { variables: { id: SANDBOX_IDS.phone }, token: 'caller-token-1' });
      expect(configured.sandbox.requests[1]?.headers.authorization).toBe('Bearer caller-token-1');
    } finally {
      await configured.stop();
    }
  });

  it('hints at the missing "Bearer " when HighLevel refuses a token sent without it', async () => {
    const bare = await failure(SANDBOX_IDS.phone, { token: null, headers: { authorization: LOCATION_A.token } });
    expect(bare.extensions?.code).toBe('UNAUTHENTICATED');
    expect(bare.message).toBe(
      'HighLevel did not accept the credentials: Invalid token: access token is invalid (the Authorization header does not start with "Bearer ": send "Authorization: Bearer <token>")',
    );
    const bearer = await failure(SANDBOX_IDS.phone, { token: 'pit-unknown-to-the-sandbox' });
    expect(bearer.message).toBe('HighLevel did not accept the credentials: Invalid token: access token is invalid');
  });
});

describe('client mistakes get client codes, never INTERNAL_SERVER_ERROR', () => {
  it('answers an _entities representation of a type this subgraph does not have with BAD_USER_INPUT, logging no error', async () => {
    const logged = stack.logs.length;
    const { status, body } = await stack.graphql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Conversation { id } } }`,
      { variables: { r: [{ __typename: 'Conversation', id: SANDBOX_IDS.phone }, { __typename: 'Invoice', id: 'i-1' }] } },
    );
    expect(status).toBe(200);
    expect(body.errors).toEqual([
      {
        message: 'Representation 1 has __typename "Invoice", which is not an entity of this subgraph (Contact, Conversation, Location, User).',
        path: ['_entities'],
        locations: expect.any(Array),
        extensions: { code: 'BAD_USER_INPUT' },
      },
    ]);
    expect(stack.sandbox.totalCalls()).toBe(0);
    const lines = stack.logs.slice(logged).map((line) => JSON.parse(line) as { level: number });
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('answers a mutation with 400 and a message saying to send a query', async () => {
    const { status, body } = await stack.graphql(`mutation Change { conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: 'This service has no mutation operations: it reads conversations, so send a query instead.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(stack.sandbox.totalCalls()).toBe(0);
  });

  it('answers a subscription over HTTP with 400 and a message pointing at the WebSocket', async () => {
    const { status, body } = await stack.graphql(`subscription Live { conversationUpdated(ids: ["${SANDBOX_IDS.phone}"]) { id } }`);
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: 'Subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) at /graphql, not over HTTP.',
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect(stack.sandbox.totalCalls()).toBe(0);
  });
});

describe('hostile ids', () => {
  it.each(['../contacts/x', 'a/b', 'a?b=c', 'a#b', '%2e%2e', '../../locations', 'a%2Fb'])(
    'sends %j only as one encoded segment under /conversations/',
    async (id) => {
      await stack.graphql(QUERY, { variables: { id } });
      expect(stack.sandbox.requests.map((request) => request.path)).toEqual([`/conversations/${encodeURIComponent(id)}`]);
      expect(stack.sandbox.requests[0]?.conversationId).toBe(id);
    },
  );

  it.each([
    ['..', '..'],
    ['.', '.'],
    ['the empty string', ''],
    ['a 10,000-character id', 'x'.repeat(10_000)],
    ['a newline', 'abc\r\nX-Injected: 1'],
  ])('refuses %s with BAD_USER_INPUT before any call', async (_label, id) => {
    const error = await failure(id);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(stack.sandbox.totalCalls()).toBe(0);
  });
});

describe('secrets', () => {
  it('never writes a token into a log line or a response, on any error path', async () => {
    const token = 'pit-SECRET-5f1e0c9a-distinctive';
    const answers: string[] = [];
    const ask = async (id: string) => answers.push(JSON.stringify((await stack.graphql(QUERY, { variables: { id }, token })).body));
    // HighLevel echoing the token back in an error message.
    stack.sandbox.setFault('*', { kind: 'status', status: 401, body: { statusCode: 401, message: `bad token ${token}` } }, { times: 1 });
    await ask(SANDBOX_IDS.email);
    // The 429 comes last: it holds back further calls with this token.
    for (const id of [
      SANDBOX_IDS.phone,
      SANDBOX_FAULT_IDS.internalError,
      SANDBOX_FAULT_IDS.notJson,
      SANDBOX_FAULT_IDS.reset,
      SANDBOX_FAULT_IDS.hang,
      '..',
      SANDBOX_FAULT_IDS.burstLimited,
    ]) {
      await ask(id);
    }
    expect(stack.sandbox.totalCalls()).toBeGreaterThan(0);
    expect(stack.logs.length).toBeGreaterThan(0);
    expect(stack.logs.join('\n')).not.toContain(token);
    expect(answers.join('\n')).not.toContain(token);
    expect(answers.join('\n')).toContain('[REDACTED]');
  });
});
