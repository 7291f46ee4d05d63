// Calls to the sandbox upstream as the GraphQL layer's client makes them, for the sandbox's own tests.
import { get as httpGet } from 'node:http';
import { SANDBOX_CONVERSATIONS, SANDBOX_LOCATION_A, type SandboxConversation } from '../../sandbox/data.js';
import type { SandboxUpstream } from '../../sandbox/upstream.js';

export const VERSION = '2021-07-28';
export const RATE_LIMIT_HEADERS = [
  'x-ratelimit-max',
  'x-ratelimit-remaining',
  'x-ratelimit-interval-milliseconds',
  'x-ratelimit-limit-daily',
  'x-ratelimit-daily-remaining',
  'x-ratelimit-daily-reset',
];

export interface CallOptions {
  /** null sends no Authorization header. */
  token?: string | null;
  /** null sends no Version header. */
  version?: string | null;
  signal?: AbortSignal;
  method?: string;
}

/** Requests a raw path (not encoded further) the way the GraphQL layer's client would. */
export function call(sandbox: SandboxUpstream, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = options.token === undefined ? SANDBOX_LOCATION_A.token : options.token;
  const version = options.version === undefined ? VERSION : options.version;
  if (token !== null) headers['Authorization'] = `Bearer ${token}`;
  if (version !== null) headers['Version'] = version;
  return fetch(`${sandbox.url}${path}`, { headers, method: options.method ?? 'GET', signal: options.signal });
}

export function getConversation(sandbox: SandboxUpstream, id: string, options: CallOptions = {}): Promise<Response> {
  return call(sandbox, `/conversations/${encodeURIComponent(id)}`, options);
}

export function seeded(id: string): SandboxConversation {
  const found = SANDBOX_CONVERSATIONS.find((conversation) => conversation.body.id === id);
  if (found === undefined) throw new Error(`no seeded conversation ${id}`);
  return found;
}

/** The error a plain node:http GET ends in (for faults that fetch would wrap in a generic TypeError). */
export function httpGetError(url: string): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false }, (response) => {
      response.resume();
      reject(new Error(`expected a connection error, got HTTP ${response.statusCode}`));
    });
    request.on('error', resolve);
  });
}

export async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('condition not met in time');
}
