// Integration tier: exposure and secrets: production mode, CORS, automatic persisted queries, safelist mode, and that no
// token ever shows in a log line or an answer.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError } from '../src/config.js';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS } from '../sandbox/data.js';
import { stackPerTest, startStack } from './support/stack.js';

const directory = mkdtempSync(join(tmpdir(), 'security-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// A fresh stack per test, stopped after it.
const start = stackPerTest();

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const ONE = `query One($id: ID!) { conversation(id: $id) { id unreadCount } }`;

describe('production mode (NODE_ENV=production)', () => {
  it('refuses introspection, keeps _service answering for the router, and sends no stack traces', async () => {
    const { graphql } = await start({ config: { graphql: { production: true, introspection: false } } });
    const introspection = await graphql('{ __schema { types { name } } }');
    expect(introspection.status).toBe(400);
    expect(introspection.body.errors?.[0]?.message).toMatch(/introspection is not allowed/i);

    const service = await graphql('{ _service { sdl } }');
    expect((service.body.data?._service as { sdl: string }).sdl).toContain('type Conversation @key(fields: "id")');

    for (const query of ['{ nope }', `{ conversation(id: "${SANDBOX_IDS.missing}") { id } }`, '{ conversation(id: ']) {
      const { body } = await graphql(query);
      expect(body.errors?.length).toBeGreaterThan(0);
      expect(JSON.stringify(body)).not.toMatch(/stacktrace| {4}at /);
    }
  });

  it('suggests no field names while introspection is off, and does outside production', async () => {
    const { graphql } = await start({ config: { graphql: { production: true, introspection: false } } });
    const typo = await graphql('{ conversaton(id: "x") { id } }');
    expect(typo.status).toBe(400);
    expect(typo.body.errors?.[0]?.message).toBe('Cannot query field "conversaton" on type "Query".');
    const development = await startStack();
    try {
      expect((await development.graphql('{ conversaton(id: "x") { id } }')).body.errors?.[0]?.message).toMatch(/Did you mean "conversation"/);
    } finally {
      await development.stop();
    }
  });

  it('serves no landing page', async () => {
    const { service } = await start({ config: { graphql: { production: true, introspection: false } } });
    const response = await fetch(service.graphqlUrl, { headers: { accept: 'text/html' } });
    expect(response.headers.get('content-type') ?? '').not.toContain('text/html');
  });

  it('can have introspection enabled by configuration', async () => {
    const { graphql } = await start({ config: { graphql: { production: true, introspection: true } } });
    const { body } = await graphql('{ __schema { queryType { name } } }');
    expect(body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('allows introspection outside production by default', async () => {
    const { graphql } = await start();
    const { body } = await graphql('{ __type(name: "ChannelType") { enumValues { name } } }');
    expect((body.data?.__type as { enumValues: unknown[] }).enumValues).toHaveLength(7);
  });
});

describe('CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });

  it('is off by default: no browser origin is allowed', async () => {
    const { service, graphql } = await start();
    const response = await preflight(service.graphqlUrl, 'https://app.example.com');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await graphql('{ __typename }', { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows exactly the listed origins, with the Authorization header', async () => {
    const { service, graphql } = await start({ config: { http: { corsAllowedOrigins: ['https://app.example.com'] } } });
    const allowed = await preflight(service.graphqlUrl, 'https://app.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const answer = await graphql('{ __typename }', { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

    const other = await preflight(service.graphqlUrl, 'https://evil.example.net');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('automatic persisted queries', () => {
  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND, then runs it by hash once registered', async () => {
    const { graphql, service } = await start();
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(ONE) } };
    const post = (body: Record<string, unknown>) =>
      fetch(service.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer pit-db15a3b2-bfdf-4079-9d1e-4e39f5398779' },
        body: JSON.stringify(body),
      }).then((response) => response.json() as Promise<{ data?: unknown; errors?: Array<{ extensions?: { code?: string } }> }>);
    const unknown = await post({ extensions, variables: { id: SANDBOX_IDS.phone } });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post({ query: ONE, extensions, variables: { id: SANDBOX_IDS.phone } });
    expect(registered.data).toEqual({ conversation: { id: SANDBOX_IDS.phone, unreadCount: 2 } });
    const byHash = await post({ extensions, variables: { id: SANDBOX_IDS.email } });
    expect(byHash.data).toEqual({ conversation: { id: SANDBOX_IDS.email, unreadCount: 0 } });
    expect((await graphql('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
  });
});

describe('safelist mode (PERSISTED_OPERATIONS_SAFELIST)', () => {
  const listed = ONE;
  const codegenManifest = join(directory, 'persisted-documents.json');
  const apolloManifest = join(directory, 'persisted-query-manifest.json');
  beforeAll(() => {
    writeFileSync(codegenManifest, JSON.stringify({ [sha256(listed)]: listed }));
    writeFileSync(
      apolloManifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: 'inbox-one', name: 'One', type: 'query', body: listed }],
      }),
    );
  });

  it.each([
    ["graphql-codegen's persisted documents", () => codegenManifest, () => sha256(listed)],
    ["Apollo's persisted query manifest", () => apolloManifest, () => 'inbox-one'],
  ])('runs a listed operation by id from %s, and refuses anything else', async (_format, manifest, id) => {
    const { service, sandbox } = await start({ config: { limits: { safelistManifest: manifest() } } });
    const post = (body: Record<string, unknown>) =>
      fetch(service.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer pit-db15a3b2-bfdf-4079-9d1e-4e39f5398779' },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } }));

    const byDocumentId = await post({ documentId: id(), variables: { id: SANDBOX_IDS.phone } });
    expect(byDocumentId.body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone, unreadCount: 2 } } });
    const byApqExtension = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: id() } }, variables: { id: SANDBOX_IDS.email } });
    expect(byApqExtension.body).toEqual({ data: { conversation: { id: SANDBOX_IDS.email, unreadCount: 0 } } });
    const byGet = await fetch(`${service.graphqlUrl}?documentId=${encodeURIComponent(id())}&variables=${encodeURIComponent(JSON.stringify({ id: SANDBOX_IDS.phone }))}`, {
      headers: { authorization: 'Bearer pit-db15a3b2-bfdf-4079-9d1e-4e39f5398779', 'apollo-require-preflight': 'true' },
    });
    expect(await byGet.json()).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone, unreadCount: 2 } } });
    const callsSoFar = sandbox.totalCalls();

    const adHoc = await post({ query: listed, variables: { id: SANDBOX_IDS.phone } });
    expect(adHoc.status).toBe(400);
    expect(adHoc.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_OPERATION_REQUIRED');
    const unknown = await post({ documentId: 'not-listed', variables: { id: SANDBOX_IDS.phone } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_OPERATION_NOT_FOUND');
    expect(sandbox.totalCalls()).toBe(callsSoFar);
  });

  it('refuses to start with a manifest it cannot read, naming the variable', async () => {
    const broken = join(directory, 'broken.json');
    writeFileSync(broken, '{ not json');
    await expect(startStack({ config: { limits: { safelistManifest: broken } } })).rejects.toThrow(ConfigError);
    writeFileSync(broken, JSON.stringify({ operations: 'nope', format: 'apollo-persisted-query-manifest' }));
    await expect(startStack({ config: { limits: { safelistManifest: broken } } })).rejects.toThrow(/PERSISTED_OPERATIONS_SAFELIST/);
  });
});

describe('secrets', () => {
  it('never shows a distinctive token in logs or answers, on every error path', async () => {
    const { graphql, sandbox, logs } = await start({ config: { upstream: { timeoutMs: 300 }, limits: { operationDeadlineMs: 2000, maxLookups: 3 } } });
    const token = 'pit-SECRET-0d9f8a7b6c5e4d3c2b1a-distinctive';
    const answers: string[] = [];
    const ask = async (query: string, variables?: Record<string, unknown>) =>
      answers.push(JSON.stringify((await graphql(query, { token, ...(variables ? { variables } : {}) })).body));

    sandbox.setFault('*', { kind: 'status', status: 401, body: { statusCode: 401, message: `token ${token} is not valid` } }, { times: 1 });
    await ask(ONE, { id: SANDBOX_IDS.email });
    sandbox.setFault('*', { kind: 'status', status: 422, body: { statusCode: 422, message: [`Bearer ${token}`, 'x'] } }, { times: 1 });
    await ask(ONE, { id: SANDBOX_IDS.email });
    for (const id of [
      SANDBOX_IDS.phone, // 401 from the sandbox: the token is unknown there
      SANDBOX_FAULT_IDS.badRequest,
      SANDBOX_FAULT_IDS.internalError,
      SANDBOX_FAULT_IDS.unavailable,
      SANDBOX_FAULT_IDS.notJson,
      SANDBOX_FAULT_IDS.invalidShape,
      SANDBOX_FAULT_IDS.reset,
      SANDBOX_FAULT_IDS.hang,
      SANDBOX_FAULT_IDS.dailyLimited,
      '..',
      'x'.repeat(500),
      SANDBOX_FAULT_IDS.burstLimited, // last: it holds this token's further calls back
    ]) {
      await ask(ONE, { id });
    }
    await ask('{ a: conversation(id: "1") { id } b: conversation(id: "2") { id } c: conversation(id: "3") { id } d: conversation(id: "4") { id } }');
    await ask('{ nope }');
    await ask('{ conversation(id: ');
    expect(sandbox.totalCalls()).toBeGreaterThan(10);
    expect(new Set(sandbox.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${token}`]));
    const everything = [...logs, ...answers].join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain('SECRET-0d9f8a7b6c5e4d3c2b1a');
    expect(answers.join('\n')).toContain('[REDACTED]');
  });
});

describe('secrets echoed by HighLevel', () => {
  const token = 'pit-ECHO-7c1e9b2a4d6f-canary';
  it.each([
    ['Bearer', `Bearer ${token}`],
    ['bearer in lower case', `bearer ${token}`],
    ['another scheme', `Token ${token}`],
    ['no scheme at all', token],
  ])('are scrubbed from answers and logs when the caller sent %s', async (_spelling, authorization) => {
    const { graphql, sandbox, logs } = await start();
    const answers: string[] = [];
    const ask = async (id: string) =>
      answers.push(JSON.stringify((await graphql(ONE, { token: null, headers: { authorization }, variables: { id } })).body));
    // 401: answered once. 500 and 422: the 500 is retried (a log line per retry), the 422 is not.
    await ask(SANDBOX_FAULT_IDS.echoToken);
    for (const status of [500, 422]) {
      sandbox.setFault(SANDBOX_IDS.email, { kind: 'echo-token', status });
      await ask(SANDBOX_IDS.email);
    }
    // The sandbox really echoed the credential, in the body and in traceId.
    expect(sandbox.requests.every((request) => request.headers.authorization === authorization)).toBe(true);
    const first = JSON.parse(answers[0] as string) as { errors: Array<{ extensions: { code: string; upstream: { messages: string[]; traceId: string } } }> };
    expect(first.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    expect(first.errors[0]?.extensions.upstream.traceId).toBe('trace-[REDACTED]');
    expect(first.errors[0]?.extensions.upstream.messages).toHaveLength(3);
    const everything = [...logs, ...answers].join('\n').toLowerCase();
    expect(everything).not.toContain(token.toLowerCase());
    expect(everything).not.toContain('7c1e9b2a4d6f');
    expect(logs.some((line) => line.includes('[REDACTED]'))).toBe(true);
  });
});
