// Subscription.conversationUpdated: the subscriber's conversations, read once with its own token, then
// each change HighLevel tells of (src/live/conversation-events.ts) laid over the record last read.
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import type { RequestContext } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { WaitingChanges } from '../live/waiting-changes.js';
import type { ConversationRecord } from '../upstream/conversation-record.js';


export const Subscription: SubscriptionResolvers = {
  conversationUpdated: {
    // Not a generator itself: the ids are read before the stream exists, so that an id the token may not
    // read fails the subscription with its typed error (graphql-ws sends it, then completes).
    subscribe: (async (_parent: unknown, { ids }: { ids: readonly string[] }, context: RequestContext) => {
      const live = context.live;
      if (!live) throw new BadUserInputError('Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql.');
      if (ids.length > live.maxLookups) {
        throw new BadUserInputError(`A subscription may name at most ${live.maxLookups} ids (MAX_LOOKUPS_PER_OPERATION); this one names ${ids.length}.`);
      }
      const distinct = [...new Set(ids)];
      // Listening starts before the reads, so that a change arriving meanwhile is not lost.
      const changes = new WaitingChanges(live, distinct);
      try {
        const records = new Map<string, ConversationRecord>();
        const read = await Promise.all(distinct.map((id) => context.conversations.load(id)));
        read.forEach((record, index) => records.set(distinct[index] as string, record));
        return updates(changes, records);
      } catch (error) {
        changes.stop();
        throw error;
      }
    }) as never,
    resolve: (record: ConversationRecord) => record,
  },
};

/**
 * The stream graphql-ws reads. An iterator rather than an async generator: a generator paused in an
 * await only sees return() at its next yield, so a subscription on a quiet conversation would never stop
 * listening when its client completes it or goes away.
 */
function updates(changes: WaitingChanges, records: Map<string, ConversationRecord>): AsyncIterableIterator<ConversationRecord> {
  const done = (): IteratorReturnResult<undefined> => {
    changes.stop();
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const change = await changes.next();
      if (!change) return done();
      const record = { ...(records.get(change.conversationId) as ConversationRecord), ...change.fields };
      records.set(change.conversationId, record);
      return { done: false, value: record };
    },
    return: () => Promise.resolve(done()),
  };
}
