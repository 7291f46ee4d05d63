// Cuts the caller's credential out of anything HighLevel says before it reaches an answer or a log.
//
// HighLevel has been seen to echo what it was sent; an echo may carry the whole Authorization value or
// only its credential, in another letter case, or URL-encoded. So the scrubber removes each of those
// spellings, case-insensitively, whatever scheme the caller used (`Bearer`, `Token`, or none at all).
// The error mapping takes a scrubber for every answer it reads, so no path can leave it out.

/** Text from HighLevel in, the same text without the caller's credential out. */
export type Scrub = (text: string) => string;

export const REDACTED = '[REDACTED]';

/** The scrubber of one Authorization value. */
export function scrubberFor(authorization: string): Scrub {
  const whole = authorization.trim();
  // "<scheme> <credential>" (RFC 9110 credentials), else the value is the credential itself.
  const credential = /^[!#$%&'*+.^_`|~\w-]+\s+(\S.*)$/.exec(whole)?.[1]?.trim() ?? whole;
  const spellings = new Set([whole, credential, encodeURIComponent(credential)].filter((text) => text !== ''));
  if (spellings.size === 0) return (text) => text;
  // Longest first, so the whole value is cut before the credential inside it.
  const pattern = new RegExp(
    [...spellings]
      .sort((a, b) => b.length - a.length)
      .map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('|'),
    'gi',
  );
  return (text) => text.replace(pattern, REDACTED);
}
