// The in-browser IDE served at /graphql (outside production): GraphiQL, bundled at build time by
// scripts/build-ide.mjs into dist/ide/, so the page needs nothing but this service (no CDN).
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';

// The page is served at the GraphQL endpoint itself, so it posts to its own path (works behind a prefix).
const fetcher = createGraphiQLFetcher({ url: window.location.pathname });

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
