// Runs the example client once and prints what it got:
//   GRAPHQL_URL=http://localhost:4000/graphql GRAPHQL_TOKEN=<token> [PERSISTED=true] \
//     node examples/frontend/dist/main.js <conversation id> [<more ids for the inbox>...]
// The first id is read with ConversationHeader, all of them with Inbox. Exits 1 when a request was
// refused as a whole (no data at all), 0 otherwise, field errors included.
import { type ClientOptions, type Result, getConversation, getInbox } from './client.js';

const ids = process.argv.slice(2);
const token = process.env.GRAPHQL_TOKEN;
if (!token || ids.length === 0) {
  process.stderr.write('usage: GRAPHQL_TOKEN=<token> [GRAPHQL_URL=...] [PERSISTED=true] node main.js <id> [<id>...]\n');
  process.exit(2);
}
const options: ClientOptions = {
  url: process.env.GRAPHQL_URL || 'http://localhost:4000/graphql',
  token,
  persisted: process.env.PERSISTED === 'true',
};

const results: Record<string, Result<unknown>> = {
  conversation: await getConversation(options, ids[0] as string),
  inbox: await getInbox(options, ids),
};
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (Object.values(results).some((result) => result.data === null)) process.exitCode = 1;
