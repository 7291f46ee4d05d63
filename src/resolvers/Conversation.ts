// Translates HighLevel's record into the GraphQL type. Fields whose name and meaning match are
// resolved by the default resolver; only the ones that differ are written here.
import type { ConversationResolvers } from '../__generated__/resolvers-types.js';
import { channelTypeOf } from '../channel-type.js';

export const Conversation: ConversationResolvers = {
  type: (record, _args, { logger }) => channelTypeOf(record.type, logger),
  // HighLevel omits `starred` for conversations nobody starred.
  starred: (record) => record.starred ?? false,
  assignedTo: (record) => record.assignedTo || null,
};
