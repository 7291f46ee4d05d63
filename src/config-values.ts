// The parsers of configuration values: what each kind of variable accepts, and the message that says
// what is wrong with a bad value (never the value itself: it may be a secret).
import { readFileSync } from 'node:fs';
import { ed25519Key, rsaKey } from './webhooks/signatures.js';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];


export const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

/**
 * HTTP_MAX_CONNECTIONS's `auto`: 10,000, or fewer where the open-file limit is lower, leaving 1,024
 * descriptors for upstream sockets, log output and the rest. `limits` is /proc/self/limits, read after
 * Node raised the soft limit to the hard one; where it cannot be read, 10,000.
 */
export function automaticMaxConnections(limits: string | undefined = readProcLimits()): number {
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(limits ?? '')?.[1];
  if (soft === undefined || soft === 'unlimited') return 10_000;
  return Math.max(64, Math.min(10_000, Number(soft) - 1024));
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}

/** A decimal in (0, 1], such as 0.5. */
export const ratio = z
  .string()
  .regex(/^(0?\.\d+|1(\.0+)?|0)$/, 'must be a decimal between 0 and 1, such as 0.5')
  .transform(Number)
  .pipe(z.number().gt(0, 'must be greater than 0').lte(1, 'must be at most 1'));

export const boolean = z.enum(['true', 'false'], 'must be true or false').transform((value) => value === 'true');

/** A comma-separated list of origins such as https://app.example.com (scheme, host, optional port). */
export const origins = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
  .pipe(
    z.array(
      z.string().regex(/^https?:\/\/[^/\s,]+$/, 'must be a comma-separated list of origins such as https://app.example.com'),
    ),
  );

export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((url) => url.replace(/\/+$/, ''));

/** A comma-separated list of names (OpenTelemetry's exporter lists), blanks dropped. */
export const names = z.string().transform((value) => value.split(',').map((name) => name.trim()).filter((name) => name !== ''));

/** redis://[user:password@]host[:port][/db] or rediss:// (TLS). */
export const redisUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && /^(\/\d{0,2})?$/.test(url.pathname);
  } catch {
    return false;
  }
}, 'must be a redis:// or rediss:// URL, such as redis://localhost:6379/0');

/** Put before every key: no braces (they would pick the hash slot), no spaces. */
export const keyPrefix = z.string().regex(/^[\x21-\x7a\x7c\x7e]{1,64}$/, 'must be 1-64 printable characters without spaces or braces');

/** A public key the webhook endpoint can use: checked at start-up, kept as given. */
const publicKey = (parse: (value: string) => unknown, message: string) =>
  z.string().refine((value) => {
    try {
      parse(value);
      return true;
    } catch {
      return false;
    }
  }, message);

export const ed25519PublicKey = publicKey(ed25519Key, 'must be an Ed25519 public key: PEM, or base64 of its 32 raw bytes or of its DER');
export const rsaPublicKey = publicKey(rsaKey, 'must be an RSA public key in PEM (HighLevel publishes it)');
