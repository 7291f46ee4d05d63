// Unit tier: the credential scrubber: whatever scheme the caller used and however HighLevel echoes
// the credential back, no spelling of it survives.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { REDACTED, scrubberFor } from '../src/upstream/secret-scrubber.js';

const TOKEN = 'pit-3f9a1c77-Secret-b2e4';

describe('scrubberFor', () => {
  it.each([
    ['a Bearer value', `Bearer ${TOKEN}`],
    ['a lower-case scheme', `bearer ${TOKEN}`],
    ['another scheme', `Token ${TOKEN}`],
    ['a bare token', TOKEN],
    ['extra white space', `  Bearer \t ${TOKEN}  `],
  ])('cuts the credential of %s out in any letter case', (_kind, authorization) => {
    const scrub = scrubberFor(authorization);
    const said = `echo: ${authorization} / ${TOKEN.toUpperCase()} / ${TOKEN.toLowerCase()} / ${encodeURIComponent(TOKEN)} / trace-${TOKEN}`;
    const scrubbed = scrub(said);
    expect(scrubbed.toLowerCase()).not.toContain(TOKEN.toLowerCase());
    expect(scrubbed).toContain(REDACTED);
    expect(scrubbed).toMatch(/^echo: /);
  });

  it('cuts the whole Authorization value, scheme included, where it is echoed whole', () => {
    expect(scrubberFor(`Bearer ${TOKEN}`)(`sent BEARER ${TOKEN.toUpperCase()}.`)).toBe(`sent ${REDACTED}.`);
  });

  it('leaves text without the credential as it is, and treats regex characters literally', () => {
    expect(scrubberFor('Bearer a.b*c')('Conversation not found: axbbc')).toBe('Conversation not found: axbbc');
    expect(scrubberFor('Bearer a.b*c')('token a.b*c')).toBe(`token ${REDACTED}`);
  });

  it('leaves no case-insensitive occurrence of any credential in any text (property)', () => {
    const credential = fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~+/=!'.split('')), minLength: 1, maxLength: 40 });
    const scheme = fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Token ', 'Basic ', '');
    const around = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(scheme, credential, around, around, fc.boolean(), (prefix, secret, before, after, upper) => {
        const echoed = upper ? secret.toUpperCase() : secret;
        const scrubbed = scrubberFor(`${prefix}${secret}`)(`${before}${echoed}${after}`);
        // Between the markers (a one-letter credential may well occur inside the word REDACTED).
        for (const piece of scrubbed.split(REDACTED)) expect(piece.toLowerCase()).not.toContain(secret.toLowerCase());
      }),
      { numRuns: 500 },
    );
  });
});
