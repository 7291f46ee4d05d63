// Integration tier: abuse limits: the operation cost limit (upstream lookups counted before execution) and the limits on
// documents (tokens, depth, aliases, directives). Every refusal must cost no upstream call.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_IDS, generatedConversationId } from '../sandbox/data.js';
import { type Stack, stackPerSuite, startStack } from './support/stack.js';

const stack = stackPerSuite({ sandbox: { generatedConversations: 1000 } });

const ids = (count: number) => Array.from({ length: count }, (_, i) => generatedConversationId(i));
const aliases = (count: number) => ids(count).map((id, i) => `c${i}: conversation(id: "${id}") { id }`).join('\n');

describe('operation cost limit (MAX_LOOKUPS_PER_OPERATION = 100)', () => {
  it('refuses 1,000 aliases within 5 s, without any upstream call', async () => {
    const started = Date.now();
    const { status, body } = await stack.graphql(`{ ${aliases(1000)} }`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors?.length).toBeGreaterThan(0);
    expect(stack.sandbox.totalCalls()).toBe(0);
  });

  it('allows exactly the limit', async () => {
    const { status, body } = await stack.graphql(`{ ${aliases(100)} }`);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(Object.keys(body.data ?? {})).toHaveLength(100);
    expect(stack.sandbox.totalCalls()).toBe(100);
  });

  it('refuses the limit + 1 whole, with COST_LIMIT_EXCEEDED and no upstream call', async () => {
    const { status, body } = await stack.graphql(`{ ${aliases(101)} }`);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      {
        message: 'This operation could cause 101 upstream lookups; the limit is 100 per operation. Split it into smaller operations.',
        extensions: { code: 'COST_LIMIT_EXCEEDED', cost: 101, limit: 100 },
      },
    ]);
    expect(stack.sandbox.totalCalls()).toBe(0);
  });

  it('adds up aliases, list lengths after variable coercion, and fields inside fragments', async () => {
    const query = `
      query Mixed($ids: [ID!]!, $one: [ID!]!) {
        a: conversations(ids: $ids) { id }
        b: conversations(ids: $one) { id }
        ...More
        ... on Query { c: conversation(id: "x") { id } }
      }
      fragment More on Query { d: conversation(id: "y") { id } e: conversations(ids: ["p", "q"]) { id } }
    `;
    // 96 + 1 (a single ID coerced to a list) + 1 + 1 + 2 = 101
    const { body } = await stack.graphql(query, { variables: { ids: ids(96), one: 'lonely' } });
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: 101, limit: 100 });
    // 100: allowed (a token the sandbox does not know keeps the 100 calls cheap and quick).
    const { body: allowed } = await stack.graphql(query, { variables: { ids: ids(95), one: 'lonely' }, token: 'pit-cost-test' });
    expect(allowed.errors?.some((error) => error.extensions?.code === 'COST_LIMIT_EXCEEDED')).toBe(false);
  });

  it('answers conversations(ids:) with 1,000 ids as BAD_USER_INPUT, without any upstream call', async () => {
    const { status, body } = await stack.graphql(`query($ids: [ID!]!) { conversations(ids: $ids) { id } }`, { variables: { ids: ids(1000) } });
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({
      message: 'conversations(ids:) takes at most 100 ids per operation; got 1000.',
      extensions: { code: 'BAD_USER_INPUT', limit: 100 },
    });
    expect(stack.sandbox.totalCalls()).toBe(0);
  });

  it('counts _entities representations the same way', async () => {
    const representations = ids(101).map((id) => ({ __typename: 'Conversation', id }));
    const { body } = await stack.graphql(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Conversation { id } } }`,
      { variables: { r: representations } },
    );
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 100 });
    expect(stack.sandbox.totalCalls()).toBe(0);
  });

  it('answers a 10,000-character id as BAD_USER_INPUT, without any upstream call', async () => {
    const { body } = await stack.graphql(`query($id: ID!) { conversation(id: $id) { id } }`, { variables: { id: 'x'.repeat(10_000) } });
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(stack.sandbox.totalCalls()).toBe(0);
  });
});

describe('fragment bombs (SECURITY.md)', () => {
  // The operation and each fragment but the last spread the next one `width` times: width³ copies of F3.
  const bomb = (width: number, leaf: string) => {
    const spreads = (name: string) => Array.from({ length: width }, () => `...${name}`).join(' ');
    return [`query Bomb { ${spreads('F1')} }`, `fragment F1 on Query { ${spreads('F2')} }`, `fragment F2 on Query { ${spreads('F3')} }`, `fragment F3 on Query { ${leaf} }`].join('\n');
  };

  it.each([
    ['6.3 KB', 345],
    ['as large as the token limit allows', 1600],
  ])('answers a %s fragment bomb right while /healthz keeps answering', async (_size, width) => {
    const production = await startStack({ config: { graphql: { production: true, introspection: false } } });
    try {
      let done = false;
      const healthLatencies: number[] = [];
      const probe = (async () => {
        while (!done) {
          const sent = Date.now();
          await fetch(`${production.service.url}/healthz`);
          healthLatencies.push(Date.now() - sent);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      const harmless = await production.graphql(bomb(width, '__typename'));
      const costly = await production.graphql(bomb(width, 'conversation(id: "x") { id }'));
      done = true;
      await probe;
      expect(harmless).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
      expect(costly.status).toBe(400);
      expect(costly.body.errors?.[0]?.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: width ** 3, limit: 100 });
      expect(production.sandbox.totalCalls()).toBe(0);
      // The event loop was never blocked for long: every probe answered, none took a second.
      expect(healthLatencies.length).toBeGreaterThan(0);
      expect(Math.max(...healthLatencies)).toBeLessThan(1000);
    } finally {
      await production.stop();
    }
  });
});

describe('document limits', () => {
  let strict: Stack;
  beforeAll(async () => {
    strict = await startStack({ config: { limits: { maxTokens: 200, maxDepth: 2, maxAliases: 3, maxDirectives: 2 } } });
  });
  afterAll(async () => {
    await strict.stop();
  });

  it.each([
    ['tokens', `{ ${Array.from({ length: 250 }, () => '__typename').join(' ')} }`, 'GRAPHQL_PARSE_FAILED', /more that 200 tokens/ /* graphql-js spelling */],
    ['depth', `{ conversation(id: "${SANDBOX_IDS.phone}") { contact { id } } }`, 'GRAPHQL_VALIDATION_FAILED', /Query depth limit of 2 exceeded, found 3/],
    ['aliases', `{ a: conversation(id: "1") { id } b: conversation(id: "2") { id } c: conversation(id: "3") { id } d: conversation(id: "4") { id } }`, 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 3 exceeded, found 4/],
    ['directives', `{ __typename @skip(if: false) @skip(if: false) @skip(if: false) }`, 'GRAPHQL_VALIDATION_FAILED', /Directives limit of 2 exceeded, found 3/],
  ])('refuses a document over the %s limit with a 400 that states the limit', async (_label, query, code, message) => {
    const { status, body } = await strict.graphql(query);
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe(code);
    expect(body.errors?.map((error) => error.message).join('\n')).toMatch(message);
    expect(strict.sandbox.totalCalls()).toBe(0);
  });

  it('still serves documents within every limit', async () => {
    const { body } = await strict.graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    expect(body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
  });
});
