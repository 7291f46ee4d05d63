// System tier (it runs dist/print-schema.js), federation: the subgraph as a router sees it. Composition with @apollo/composition, a real
// @apollo/gateway over this service and an in-test contacts subgraph, `_entities` counted at the
// sandbox, and inline tracing (ftv1).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { Trace } from '@apollo/usage-reporting-protobuf';
import { parse } from 'graphql';
import { SANDBOX_CONVERSATIONS, SANDBOX_IDS } from '../sandbox/data.js';
import { LOCATION_A, type Stack, startStack } from './support/stack.js';

let stack: Stack;
let sdl: string;
beforeAll(async () => {
  stack = await startStack();
  const { body } = await stack.graphql('{ _service { sdl } }');
  sdl = (body.data?._service as { sdl: string }).sdl;
});
afterAll(async () => {
  await stack.stop();
});
beforeEach(() => {
  stack.sandbox.reset();
});

// The company's contacts subgraph, as another team would write it: it owns Contact and its name.
const CONTACT_NAMES = new Map(SANDBOX_CONVERSATIONS.map(({ body }, i) => [body.contactId, `Contact ${i + 1}`]));
const CONTACTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  type Contact @key(fields: "id") { id: ID! name: String! }
  type Query { contactCount: Int! }
`;

describe('_service { sdl }', () => {
  it('declares Conversation as an entity keyed by id', () => {
    expect(sdl).toContain('type Conversation @key(fields: "id") @cacheControl(scope: PRIVATE) {');
    expect(sdl).toContain('extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key"])');
  });

  it.each(['Contact', 'Location', 'User'])('declares %s as a reference to another subgraph\'s entity', (type) => {
    expect(sdl).toMatch(new RegExp(`type ${type} @key\\(fields: "id", resolvable: false\\) \\{\\s+"[^"]+"\\s+id: ID!\\s+\\}`));
  });

  it('offers the references beside the raw id fields', () => {
    for (const field of ['contactId: ID!', 'locationId: ID!', 'assignedTo: ID', 'contact: Contact!', 'location: Location!', 'assignedUser: User\n']) {
      expect(sdl).toContain(field);
    }
  });

  it('is exactly what npm run schema:print writes', () => {
    const printed = execFileSync(process.execPath, [new URL('../dist/print-schema.js', import.meta.url).pathname], { encoding: 'utf8' });
    expect(printed).toBe(sdl.endsWith('\n') ? sdl : `${sdl}\n`);
  });
});

describe('composition', () => {
  it('composes with a subgraph that owns Contact', () => {
    const result = composeServices([
      { name: 'conversations', typeDefs: parse(sdl), url: 'http://conversations.invalid/graphql' },
      { name: 'contacts', typeDefs: parse(CONTACTS_SDL), url: 'http://contacts.invalid/graphql' },
    ]);
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toMatch(/type Contact[^{]*\{[^}]*name: String!/);
    expect(result.supergraphSdl).toMatch(/type Conversation[^{]*\{[^}]*contact: Contact!/);
  });

  it('reports a conflict with a subgraph that disagrees on a field\'s type', () => {
    const conflicting = `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
      type Conversation @key(fields: "id") { id: ID! unreadCount: String }
      type Query { other: Int }
    `;
    const result = composeServices([
      { name: 'conversations', typeDefs: parse(sdl), url: 'http://conversations.invalid/graphql' },
      { name: 'impostor', typeDefs: parse(conflicting), url: 'http://impostor.invalid/graphql' },
    ]);
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.errors?.map((error) => error.message).join('\n')).toContain('Conversation.unreadCount');
  });
});

describe('_entities, as a router calls it', () => {
  const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Conversation { id unreadCount } } }`;

  it('costs one upstream call per distinct id, keeps representation order, and fails only the missing one', async () => {
    const ids = [
      SANDBOX_IDS.phone,
      SANDBOX_IDS.email,
      SANDBOX_IDS.phone,
      SANDBOX_IDS.missing,
      SANDBOX_IDS.facebook,
      SANDBOX_IDS.email,
    ];
    const { status, body } = await stack.graphql(ENTITIES, {
      variables: { representations: ids.map((id) => ({ __typename: 'Conversation', id })) },
    });
    expect(status).toBe(200);
    const entities = body.data?._entities as Array<{ id: string } | null>;
    expect(entities.map((entity) => entity?.id ?? null)).toEqual([
      SANDBOX_IDS.phone,
      SANDBOX_IDS.email,
      SANDBOX_IDS.phone,
      null,
      SANDBOX_IDS.facebook,
      SANDBOX_IDS.email,
    ]);
    expect(body.errors).toHaveLength(1);
    expect(body.errors?.[0]).toMatchObject({ path: ['_entities', 3], extensions: { code: 'NOT_FOUND' } });
    expect(stack.sandbox.totalCalls()).toBe(4);
    for (const id of new Set(ids)) expect(stack.sandbox.callsFor(id)).toBe(1);
  });

  it('makes the calls for distinct representations concurrently', async () => {
    const ids = [SANDBOX_IDS.phone, SANDBOX_IDS.email, SANDBOX_IDS.facebook];
    for (const id of ids) stack.sandbox.setFault(id, { kind: 'delay', ms: 400 }, { times: 1 });
    await stack.graphql(ENTITIES, { variables: { representations: ids.map((id) => ({ __typename: 'Conversation', id })) } });
    const arrivals = stack.sandbox.requests.map((request) => request.at);
    expect(arrivals).toHaveLength(3);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(400);
  });

  it('refuses a representation without a string id with BAD_USER_INPUT at its index', async () => {
    const { body } = await stack.graphql(ENTITIES, {
      variables: { representations: [{ __typename: 'Conversation', id: SANDBOX_IDS.phone }, { __typename: 'Conversation', id: 42 }] },
    });
    expect(body.errors).toEqual([expect.objectContaining({ path: ['_entities', 1], extensions: { code: 'BAD_USER_INPUT' } })]);
    expect(stack.sandbox.totalCalls()).toBe(1);
  });
});

describe('inline tracing (ftv1)', () => {
  it('returns a trace of the operation to a router that asks for one', async () => {
    const { body } = await stack.graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`, {
      headers: { 'apollo-federation-include-trace': 'ftv1' },
    });
    const ftv1 = (body as { extensions?: { ftv1?: string } }).extensions?.ftv1;
    expect(typeof ftv1).toBe('string');
    const trace = Trace.decode(Buffer.from(ftv1 ?? '', 'base64'));
    expect(trace.root?.child?.map((node) => node.responseName)).toEqual(['conversation']);
  });

  it('adds no trace when not asked', async () => {
    const { body } = await stack.graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    expect(body).not.toHaveProperty('extensions');
  });
});

describe('behind a real gateway', () => {
  let contacts: ApolloServer;
  let gatewayServer: ApolloServer<{ authorization?: string }>;
  let gatewayUrl: string;
  let contactsResolved: string[];

  beforeAll(async () => {
    contactsResolved = [];
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    contacts = new ApolloServer({
      logger: quiet,
      schema: buildSubgraphSchema([
        {
          typeDefs: parse(CONTACTS_SDL),
          resolvers: {
            Query: { contactCount: () => CONTACT_NAMES.size },
            Contact: {
              __resolveReference: ({ id }: { id: string }) => {
                contactsResolved.push(id);
                return { id, name: CONTACT_NAMES.get(id) ?? 'unknown' };
              },
            },
          },
        },
      ]),
    });
    const { url: contactsUrl } = await startStandaloneServer(contacts, { listen: { port: 0, host: '127.0.0.1' } });
    const composed = composeServices([
      { name: 'conversations', typeDefs: parse(sdl), url: stack.service.graphqlUrl },
      { name: 'contacts', typeDefs: parse(CONTACTS_SDL), url: contactsUrl },
    ]);
    expect(composed.errors).toBeUndefined();
    const gateway = new ApolloGateway({
      supergraphSdl: composed.supergraphSdl,
      // What a router's header propagation does: pass the caller's Authorization on to the subgraphs.
      buildService: ({ url }) =>
        new RemoteGraphQLDataSource<{ authorization?: string }>({
          url,
          willSendRequest({ request, context }) {
            if (context.authorization) request.http?.headers.set('authorization', context.authorization);
          },
        }),
    });
    gatewayServer = new ApolloServer({ gateway, logger: quiet });
    ({ url: gatewayUrl } = await startStandaloneServer(gatewayServer, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    }));
  });

  afterAll(async () => {
    await gatewayServer?.stop();
    await contacts?.stop();
  });

  it('joins contact names onto conversations for several ids, with the caller\'s token reaching HighLevel once per distinct id', async () => {
    const ids = [SANDBOX_IDS.phone, SANDBOX_IDS.email, SANDBOX_IDS.phone, SANDBOX_IDS.facebook];
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCATION_A.token}` },
      body: JSON.stringify({
        query: `query($ids: [ID!]!) { conversations(ids: $ids) { id unreadCount contact { id name } } }`,
        variables: { ids },
      }),
    });
    const body = (await response.json()) as { data?: { conversations: Array<{ id: string; contact: { id: string; name: string } }> }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    const expected = ids.map((id) => {
      const contactId = SANDBOX_CONVERSATIONS.find(({ body: record }) => record.id === id)?.body.contactId ?? '';
      return { id, contact: { id: contactId, name: CONTACT_NAMES.get(contactId) } };
    });
    expect(body.data?.conversations).toMatchObject(expected);
    expect(stack.sandbox.totalCalls()).toBe(3);
    for (const id of new Set(ids)) expect(stack.sandbox.callsFor(id)).toBe(1);
    expect(new Set(stack.sandbox.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${LOCATION_A.token}`]));
    expect(contactsResolved.length).toBeGreaterThan(0);
  });

  it('passes the subgraph\'s error codes through to the client', async () => {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${LOCATION_A.token}` },
      body: JSON.stringify({ query: `{ conversation(id: "${SANDBOX_IDS.missing}") { id contact { name } } }` }),
    });
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: Record<string, unknown> }> };
    expect(body.data).toEqual({ conversation: null });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', upstream: { status: 404 } });
  });
});
