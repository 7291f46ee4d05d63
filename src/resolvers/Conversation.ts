// Translates HighLevel's record into the GraphQL type. Fields whose name and meaning match are
// resolved by the default resolver; only the ones that differ are written here.
import type { ConversationResolvers } from '../__generated__/resolvers-types.js';
import { channelTypeOf } from '../channel-type.js';
import { BadUserInputError } from '../errors.js';

export const Conversation: ConversationResolvers = {
  // A router resolving `{ __typename: "Conversation", id }` representations (the `_entities` field):
  // through the request's DataLoader, so N representations over k distinct ids cost k upstream calls.
  __resolveReference: (reference, { conversations }) => {
    const { id } = reference as { id?: unknown };
    if (typeof id !== 'string') {
      return Promise.reject(new BadUserInputError('A Conversation representation needs a string "id".'));
    }
    return conversations.load(id);
  },
  type: (record, _args, { logger }) => channelTypeOf(record.type, logger),
  // HighLevel omits `starred` for conversations nobody starred.
  starred: (record) => record.starred ?? false,
  assignedTo: (record) => record.assignedTo || null,
  // References to entities other subgraphs own: only the id is known here, the router joins the rest.
  contact: (record) => ({ id: record.contactId }),
  location: (record) => ({ id: record.locationId }),
  assignedUser: (record) => (record.assignedTo ? { id: record.assignedTo } : null),
};
