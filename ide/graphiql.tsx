// The in-browser IDE served at /graphql (outside production): GraphiQL, bundled at build time by
// scripts/build-ide.mjs into dist/ide/, so the page needs nothing but this service (no CDN).
import { type Fetcher, createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';

// The page is served at the GraphQL endpoint itself, so it posts to its own path (works behind a prefix).
const httpFetcher = createGraphiQLFetcher({ url: window.location.pathname });
const wsUrl = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}${window.location.pathname}`;

/**
 * Queries over HTTP; subscriptions over WebSocket (graphql-ws), one connection per run, with the Headers
 * tab's Authorization sent as connectionParams (a browser cannot set headers on a WebSocket).
 */
const fetcher: Fetcher = (params, options) => {
  let isSubscription = false;
  try {
    isSubscription = getOperationAST(parse(params.query), params.operationName ?? undefined)?.operation === 'subscription';
  } catch {
    // Not parseable: the HTTP endpoint answers with the syntax error.
  }
  if (!isSubscription) return httpFetcher(params, options);
  const headers = (options?.headers ?? {}) as Record<string, string>;
  const authorization = headers.Authorization ?? headers.authorization;
  const client = createClient({ url: wsUrl, connectionParams: authorization ? { authorization } : {} });
  const results = client.iterate({ query: params.query, variables: params.variables ?? undefined, operationName: params.operationName ?? undefined });
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => results.next(),
      return: async () => {
        await results.return?.();
        await client.dispose();
        return { done: true as const, value: undefined };
      },
    }),
  } as never;
};

const DEFAULT_QUERY = `# Conversations from HighLevel, with the token in the Headers tab below.
query Conversation($id: ID!) {
  conversation(id: $id) {
    id
    type
    unreadCount
    starred
    assignedTo
  }
}
`;

const root = document.getElementById('graphiql');
if (root) {
  createRoot(root).render(
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={DEFAULT_QUERY}
      defaultHeaders={'{\n  "Authorization": "Bearer <your HighLevel token>"\n}'}
      defaultEditorToolsVisibility="headers"
      // Tokens must not be written to the browser's storage by default.
      shouldPersistHeaders={false}
    />,
  );
}
