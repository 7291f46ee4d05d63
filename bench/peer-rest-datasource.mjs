// The conventional peer: what Apollo's documentation teaches for a GraphQL layer over a REST API.
// Apollo Server 5 standalone, one RESTDataSource (@apollo/datasource-rest) per request created in the
// context function with the caller's token, resolvers that call it, and the same subgraph schema as the
// service (buildSubgraphSchema over schema/*.graphql, so `_entities` works), with the same field
// translations. No limits, no pacing, no breaker, no retries: the docs' shape, nothing added.
// Usage (started by run.mjs): node bench/peer-rest-datasource.mjs <upstream base URL> <API version>
import { readdirSync, readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { RESTDataSource } from '@apollo/datasource-rest';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

const [baseUrl, apiVersion = '2021-07-28'] = process.argv.slice(2);
const schemaDirectory = new URL('../schema/', import.meta.url);
const typeDefs = parse(
  readdirSync(schemaDirectory)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(new URL(name, schemaDirectory), 'utf8'))
    .join('\n'),
);

class ConversationsAPI extends RESTDataSource {
  baseURL = `${baseUrl.replace(/\/+$/, '')}/`;

  constructor(options) {
    super(options);
    this.token = options.token;
  }

  willSendRequest(_path, request) {
    request.headers.authorization = this.token;
    request.headers.version = apiVersion;
    request.headers.accept = 'application/json';
  }

  async getConversation(id) {
    const body = await this.get(`conversations/${encodeURIComponent(id)}`);
    return body.conversation && !('id' in body) ? body.conversation : body;
  }
}

const CHANNEL_TYPES = ['UNKNOWN', 'PHONE', 'EMAIL', 'FACEBOOK_MESSENGER', 'REVIEW', 'GROUP_SMS', 'INTERNAL_CHAT'];
const resolvers = {
  Query: {
    conversation: (_parent, { id }, { dataSources }) => dataSources.conversations.getConversation(id),
    conversations: (_parent, { ids }, { dataSources }) => ids.map((id) => dataSources.conversations.getConversation(id)),
  },
  Conversation: {
    __resolveReference: (reference, { dataSources }) => dataSources.conversations.getConversation(reference.id),
    type: (record) => CHANNEL_TYPES[record.type] ?? 'UNKNOWN',
    starred: (record) => record.starred ?? false,
    assignedTo: (record) => record.assignedTo || null,
    contact: (record) => ({ id: record.contactId }),
    location: (record) => ({ id: record.locationId }),
    assignedUser: (record) => (record.assignedTo ? { id: record.assignedTo } : null),
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]), introspection: false });
const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => {
    const { cache } = server;
    return { dataSources: { conversations: new ConversationsAPI({ cache, token: req.headers.authorization ?? '' }) } };
  },
});
process.send?.({ type: 'ready', name: 'rest-datasource', port: Number(new URL(url).port) });
