// Cuts the caller's credential out of anything HighLevel says before it reaches an answer or a log.
//
// HighLevel has been seen to echo what it was sent; an echo may carry the whole Authorization value or
// only its credential, in another letter case, or URL-encoded. So the scrubber removes each of those
// spellings, case-insensitively, whatever scheme the caller used (`Bearer`, `Token`, or none at all).
// The error mapping takes a scrubber for every answer it reads, so no path can leave it out.

/** Text from HighLevel in, the same text without the caller's credential out. */
export type Scrub = (text: string) => string;

export const REDACTED = '[REDACTED]';

/** An Authorization value read as "<scheme> <credential>" (RFC 9110), or as a bare credential. */
export function credentialsOf(authorization: string): { scheme: string | undefined; credential: string } {
  const whole = authorization.trim();
  const parts = /^([!#$%&'*+.^_`|~\w-]+)\s+(\S.*)$/.exec(whole);
  return parts ? { scheme: parts[1], credential: (parts[2] as string).trim() } : { scheme: undefined, credential: whole };
}

/** The scrubber of one Authorization value. */
export function scrubberFor(authorization: string): Scrub {
  const whole = authorization.trim();
  const { credential } = credentialsOf(authorization);
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
