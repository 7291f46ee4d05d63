// HighLevel's numeric conversation `type` to the ChannelType enum.
//
// Unknown values (a channel HighLevel adds later, or the `TYPE_*` strings its search endpoint uses)
// become UNKNOWN instead of failing the whole conversation, and are logged once per value so that
// someone notices the schema needs a new member.
import type { ChannelType } from './__generated__/resolvers-types.js';
import type { Logger } from './observability/logger.js';

const BY_NUMBER: ReadonlyMap<unknown, ChannelType> = new Map<unknown, ChannelType>([
  [1, 'PHONE'],
  [2, 'EMAIL'],
  [3, 'FACEBOOK_MESSENGER'],
  [4, 'REVIEW'],
  [5, 'GROUP_SMS'],
  [6, 'INTERNAL_CHAT'],
]);

// Bounded so that an upstream sending endless distinct values cannot grow memory without limit.
const MAX_REMEMBERED_UNKNOWN = 100;
const reportedUnknown = new Set<string>();

export function channelTypeOf(upstreamType: unknown, logger: Logger): ChannelType {
  const known = BY_NUMBER.get(upstreamType);
  if (known) return known;
  const key = `${typeof upstreamType}:${String(upstreamType).slice(0, 64)}`;
  if (!reportedUnknown.has(key) && reportedUnknown.size < MAX_REMEMBERED_UNKNOWN) {
    reportedUnknown.add(key);
    logger.warn({ upstreamType: String(upstreamType).slice(0, 64) }, 'unknown conversation type from HighLevel; answering UNKNOWN');
  }
  return 'UNKNOWN';
}
