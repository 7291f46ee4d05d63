// Integration tier: property-based tests (fast-check): whatever id or document a client sends, the service answers with a
// well-formed response, never reaches any upstream path but /conversations/<one segment>, and stays up.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SANDBOX_IDS } from '../sandbox/data.js';
import { stackPerSuite } from './support/stack.js';

// Hundreds of calls in a few seconds: lift the burst limit, which has its own tests.
const stack = stackPerSuite({ sandbox: { burstLimit: 1_000_000 }, config: { upstream: { burstLimit: 1_000_000 } } });

// Any UTF-16 string: well-formed text from the whole of Unicode, and raw code units (lone surrogates).
const anyId = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 160 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 }),
  fc.constantFrom('.', '..', '../x', '%2e%2e', 'a/b', 'a?b=c', '#', '', ' ', '\u0000', 'x'.repeat(128), 'x'.repeat(129)),
);

describe('arbitrary Unicode ids', () => {
  it('are either refused with BAD_USER_INPUT and no call, or cost exactly one call to /conversations/ + the encoded id', async () => {
    await fc.assert(
      fc.asyncProperty(anyId, async (id) => {
        stack.sandbox.reset();
        const { status, body } = await stack.graphql(`query($id: ID!) { conversation(id: $id) { id } }`, { variables: { id } });
        expect(status).toBe(200);
        const code = body.errors?.[0]?.extensions?.code;
        if (code === 'BAD_USER_INPUT' && stack.sandbox.totalCalls() === 0) return;
        expect(stack.sandbox.requests.map((request) => request.path)).toEqual([`/conversations/${encodeURIComponent(id)}`]);
        expect(stack.sandbox.requests[0]?.conversationId).toBe(id);
      }),
      { numRuns: 300 },
    );
  }, 60_000);
});

// Documents from a small grammar of what clients (and attackers) send: known and unknown root fields,
// literal and variable ids, nesting, fragments, directives, aliases, and plain garbage.
const field = fc.letrec<{ selection: string }>((tie) => ({
  selection: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('id', 'type', 'starred', 'unreadCount', 'assignedTo', '__typename', 'nope', 'contact { id }', 'location { id __typename }'),
    tie('selection').map((inner) => `contact { ${inner} }`),
    tie('selection').map((inner) => `... on Conversation { ${inner} }`),
    fc.tuple(tie('selection'), tie('selection')).map(([a, b]) => `${a} ${b}`),
  ),
}));
const idArgument = fc.oneof(
  fc.constantFrom(`"${SANDBOX_IDS.phone}"`, `"${SANDBOX_IDS.missing}"`, '"fault-500"', '"fault-not-json"', '"fault-reset"', '"..', '"..', '$id', '$missing', '42', 'null', '[]'),
  fc.string({ maxLength: 12 }).map((text) => JSON.stringify(text)),
);
const rootField = fc.oneof(
  fc.tuple(idArgument, field.selection).map(([id, selection]) => `conversation(id: ${id}) { ${selection} }`),
  fc.tuple(fc.array(idArgument, { maxLength: 5 }), field.selection).map(([ids, selection]) => `conversations(ids: [${ids.join(', ')}]) { ${selection} }`),
  fc.constantFrom('__typename', '_service { sdl }', 'nope', '__schema { queryType { name } }', 'conversation { id }', `_entities(representations: [{ __typename: "Conversation", id: "${SANDBOX_IDS.email}" }]) { ... on Conversation { id } }`),
);
const document = fc.oneof(
  fc
    .tuple(fc.array(fc.tuple(fc.boolean(), rootField, fc.constantFrom('', ' @skip(if: false)', ' @include(if: $flag)')), { minLength: 1, maxLength: 6 }), fc.boolean())
    .map(([fields, named]) => {
      const body = fields.map(([aliased, text, directive], i) => `${aliased ? `a${i}: ` : ''}${text.replace(/ \{/, `${directive} {`)}`).join('\n');
      return named ? `query Generated($id: ID, $flag: Boolean = true) { ${body} }` : `{ ${body} }`;
    }),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('{', '}', 'query', 'fragment F on Query { ...F } { ...F }', 'subscription { x }', 'mutation { x }'),
);
const variables = fc.oneof(
  fc.constant(undefined),
  fc.record({ id: fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.constant(null), fc.constant(SANDBOX_IDS.phone)), flag: fc.oneof(fc.boolean(), fc.string({ maxLength: 3 })) }),
);

describe('generated documents', () => {
  it('get a well-formed GraphQL answer, and the service stays up', async () => {
    await fc.assert(
      fc.asyncProperty(document, variables, async (query, vars) => {
        const { status, body } = await stack.graphql(query, vars ? { variables: vars } : {});
        expect([200, 400]).toContain(status);
        expect(typeof body).toBe('object');
        expect('data' in body || 'errors' in body).toBe(true);
        for (const error of body.errors ?? []) {
          expect(typeof error.message).toBe('string');
          expect(typeof error.extensions?.code).toBe('string');
        }
        if (status === 400) expect(body.errors?.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
    const health = await fetch(`${stack.service.url}/healthz`);
    expect(health.status).toBe(200);
    const { body } = await stack.graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    expect(body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
  }, 60_000);
});
