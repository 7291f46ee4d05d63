// Verifying that a webhook comes from HighLevel, over the raw body bytes, before anything parses them.
//
// HighLevel signs each delivery twice: `x-ghl-signature`, Ed25519 over the raw body (the newer scheme,
// key in WEBHOOK_SIGNATURE_PUBLIC_KEY), and `x-wh-signature`, RSA-SHA256 (key in WEBHOOK_PUBLIC_KEY;
// HighLevel publishes it). Ed25519 is checked when its header came and its key is configured; else RSA.
// Written on node:crypto directly: two verify calls need no library.
import { type KeyObject, createPublicKey, verify } from 'node:crypto';

export type Verdict = { ok: true; scheme: 'ed25519' | 'rsa' } | { ok: false; reason: 'missing' | 'invalid' };

export interface WebhookKeys {
  ed25519?: KeyObject | undefined;
  rsa?: KeyObject | undefined;
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo: a raw 32-byte key follows it. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * An Ed25519 public key given as PEM, or as the base64 of its 32 raw bytes.
 * @throws Error with a message that never contains the value.
 */
export function ed25519Key(value: string): KeyObject {
  const key = value.includes('-----BEGIN') ? createPublicKey(value.replace(/\\n/g, '\n')) : rawEd25519(value);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('is not an Ed25519 public key');
  return key;
}

/** An RSA public key in PEM (`\n` written as two characters, as some secret stores keep it, is accepted). */
export function rsaKey(value: string): KeyObject {
  const key = createPublicKey(value.replace(/\\n/g, '\n'));
  if (key.asymmetricKeyType !== 'rsa') throw new Error('is not an RSA public key');
  return key;
}

/** Base64 of the 32 raw bytes, or of the whole SubjectPublicKeyInfo (PEM without its armour). */
function rawEd25519(value: string): KeyObject {
  const bytes = Buffer.from(value.trim(), 'base64');
  const der = bytes.length === 32 ? Buffer.concat([ED25519_SPKI_PREFIX, bytes]) : bytes;
  if (der.length !== 44 || !der.subarray(0, 12).equals(ED25519_SPKI_PREFIX)) throw new Error('must be an Ed25519 public key in PEM, or its 32 bytes in base64');
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

export function verifySignature(keys: WebhookKeys, body: Buffer, headers: { ed25519?: string | undefined; rsa?: string | undefined }): Verdict {
  if (keys.ed25519 && headers.ed25519) {
    return check(() => verify(null, body, keys.ed25519 as KeyObject, Buffer.from(headers.ed25519 as string, 'base64')), 'ed25519');
  }
  if (keys.rsa && headers.rsa) {
    return check(() => verify('sha256', body, keys.rsa as KeyObject, Buffer.from(headers.rsa as string, 'base64')), 'rsa');
  }
  return { ok: false, reason: 'missing' };
}

function check(run: () => boolean, scheme: 'ed25519' | 'rsa'): Verdict {
  try {
    return run() ? { ok: true, scheme } : { ok: false, reason: 'invalid' };
  } catch {
    // A signature of the wrong length or encoding.
    return { ok: false, reason: 'invalid' };
  }
}
