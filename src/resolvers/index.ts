import type { Resolvers } from '../__generated__/resolvers-types.js';
import { Conversation } from './Conversation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';

export const resolvers: Resolvers = { Query, Subscription, Conversation };
