import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Conversation } from './Conversation.js';
import { Query } from './Query.js';

export const resolvers: Resolvers = { Query, Conversation };
