import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import type { ConversationRecord } from '../upstream/conversation-record.js';

export const Query: QueryResolvers = {
  conversation: (_parent, { id }, { conversations }) => conversations.load(id),

  // One promise per id rather than one Promise.all: graphql-js completes list items one by one, so an
  // id that fails becomes null at its own index with an error whose path ends in that index, while the
  // others resolve. (The generated type cannot express a list of promises, hence the cast.)
  conversations: (_parent, { ids }, { conversations }) =>
    ids.map((id) => conversations.load(id)) as unknown as ConversationRecord[],
};
