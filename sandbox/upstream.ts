// A stand-in for HighLevel's `GET /conversations/{conversationId}`: a real HTTP server (node:http only)
// that answers with the bodies, status codes and rate-limit headers HighLevel documents (and its live API
// is reported to send), so that the GraphQL layer can be exercised end to end without network access or
// real tokens. Tests can also inject faults (delays, hangs, resets, odd
// statuses, bodies that are not JSON) per conversation id.
//
// Per request, in this order:
//   1. record and count it;
//   2. route: only GET /conversations/<one segment> exists (NestJS-style 404 otherwise, 400 for a bad escape);
//   3. faults: one set with setFault (for the id, then '*'), else a seeded fault id; these come before the
//      header checks so a test can provoke any outcome whatever headers its client sends;
//   4. headers: Version, then Authorization (401s);
//   5. per-token rate limits (429s);
//   6. lookup: 422 for a malformed id, 404 unknown, 403 other location, else 200.
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { FaultTable } from './faults.js';
import { SandboxQuota } from './quota.js';
import {
  type Outcome,
  type Reply,
  deliver,
  documentedError,
  echoTokenReply,
  errorReply,
  jsonReply,
  notJsonReply,
  oversizedReply,
  statusFaultReply,
} from './replies.js';
import { type Fault, SANDBOX_API_VERSIONS, SANDBOX_TOKENS } from './data.js';
import { findConversation, lookup } from './lookup.js';
import { CHANGE_PATH, SandboxChanges } from './changes.js';
import { type RecordedRequest, type SandboxOptions, type SandboxUpstream, type Settings, settingsFrom } from './options.js';

export type { SandboxOptions, SandboxUpstream } from './options.js';


// ---------------------------------------------------------------------------------------------------------
// Routing

type Route =
  | { kind: 'conversation'; id: string }
  | { kind: 'bad-escape' }
  | { kind: 'unknown' };

const CONVERSATION_PATH = /^\/conversations\/([^/]+)$/;

function route(method: string, rawUrl: string): Route {
  const path = rawUrl.split('?', 1)[0] ?? '';
  const segment = CONVERSATION_PATH.exec(path)?.[1];
  if (method !== 'GET' || segment === undefined) return { kind: 'unknown' };
  try {
    return { kind: 'conversation', id: decodeURIComponent(segment) };
  } catch {
    return { kind: 'bad-escape' };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The server


const ACCEPTED_VERSIONS: ReadonlySet<string> = new Set(SANDBOX_API_VERSIONS);

/** The bearer token of a request, whether or not the sandbox knows it. */
function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  // The auth scheme is case-insensitive (RFC 9110); the token itself is compared exactly.
  return /^Bearer +(\S+)$/i.exec(headers.authorization ?? '')?.[1];
}

function knownToken(headers: IncomingHttpHeaders): string | undefined {
  const token = bearerToken(headers);
  return token !== undefined && SANDBOX_TOKENS.has(token) ? token : undefined;
}

function formatUrlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

class Sandbox implements SandboxUpstream {
  readonly #server: Server;
  readonly #settings: Settings;
  readonly #limiter: SandboxQuota;
  readonly #faults = new FaultTable();
  readonly webhooks = new SandboxChanges();
  #requests: RecordedRequest[] = [];
  #total = 0;
  #perId = new Map<string, number>();
  #statuses = new Map<number, number>();
  #connections = 0;
  /** Aborted by close(): cuts short every pending delay so no timer outlives the sandbox. */
  readonly #closing = new AbortController();
  #closed: Promise<void> | undefined;
  #port = 0;

  constructor(settings: Settings) {
    this.#settings = settings;
    this.#limiter = new SandboxQuota(settings);
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        // Only reachable when a wait is aborted (client gone, sandbox closing) or the socket died under
        // us; there is nobody left to answer, so make sure the connection does not linger.
        if (!res.writableEnded) res.destroy();
      });
    });
    this.#server.keepAliveTimeout = settings.keepAliveTimeoutMs;
    this.#server.on('connection', () => {
      this.#connections += 1;
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ port: this.#settings.port, host: this.#settings.host }, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    this.#port = typeof address === 'object' && address !== null ? address.port : this.#settings.port;
  }

  get url(): string {
    return `http://${formatUrlHost(this.#settings.host)}:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  totalCalls(): number {
    return this.#total;
  }

  callsFor(conversationId: string): number {
    return this.#perId.get(conversationId) ?? 0;
  }

  statusCounts(): Readonly<Record<number, number>> {
    return Object.fromEntries(this.#statuses);
  }

  connections(): number {
    return this.#connections;
  }

  setFault(conversationId: string, fault: Fault, options?: { times?: number }): void {
    this.#faults.set(conversationId, fault, options?.times);
  }

  clearFaults(): void {
    this.#faults.clear();
    this.webhooks.clear();
  }

  reset(): void {
    this.#requests = [];
    this.#total = 0;
    this.#perId = new Map();
    this.#statuses = new Map();
    this.#connections = 0;
    this.#limiter.clear();
    this.#faults.clear();
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#closing.abort();
      // close() alone would wait for keep-alive and hung sockets; closeAllConnections() ends them now.
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const changed = req.method === 'POST' ? CHANGE_PATH.exec((req.url ?? '/').split('?', 1)[0] ?? '') : null;
    if (changed) return this.webhooks.handle(req, res, changed[1] as string, (id) => findConversation(id, this.#settings.generatedConversations));
    // A GET may still carry a body; drain it so the keep-alive connection stays usable.
    req.resume();
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const target = route(method, rawUrl);
    this.#record(req, method, rawUrl, target.kind === 'conversation' ? target.id : undefined);

    // Stop waiting as soon as the client hangs up or the sandbox closes.
    const clientGone = new AbortController();
    res.once('close', () => clientGone.abort());
    const signal = AbortSignal.any([this.#closing.signal, clientGone.signal]);

    const outcome = await this.#outcome(req, method, rawUrl, target, signal);
    if (outcome.kind === 'hang') return; // close() or the client ends the socket
    if (this.#settings.latencyMs > 0) await sleep(this.#settings.latencyMs, undefined, { signal });
    if (outcome.kind === 'reply') this.#statuses.set(outcome.reply.status, (this.#statuses.get(outcome.reply.status) ?? 0) + 1);
    deliver(req, res, outcome);
  }

  #record(req: IncomingMessage, method: string, path: string, conversationId: string | undefined): void {
    this.#total += 1;
    if (conversationId !== undefined) this.#perId.set(conversationId, this.callsFor(conversationId) + 1);
    const limit = this.#settings.requestLogLimit;
    if (limit === 0) return;
    const entry: RecordedRequest = { method, path, headers: { ...req.headers }, at: Date.now() };
    if (conversationId !== undefined) entry.conversationId = conversationId;
    this.#requests.push(entry);
    if (this.#requests.length > limit) this.#requests.splice(0, this.#requests.length - limit);
  }

  async #outcome(req: IncomingMessage, method: string, rawUrl: string, target: Route, signal: AbortSignal): Promise<Outcome> {
    if (target.kind === 'unknown') {
      return this.#reply(req, errorReply(404, `Cannot ${method} ${rawUrl}`, 'Not Found'));
    }
    if (target.kind === 'bad-escape') return this.#reply(req, documentedError(400));

    const fault = this.#faults.take(target.id);
    switch (fault?.kind) {
      case undefined:
        return this.#answer(req, target.id);
      case 'delay':
        await sleep(fault.ms, undefined, { signal });
        return this.#answer(req, target.id);
      case 'hang':
      case 'reset':
        return { kind: fault.kind };
      case 'status':
        return this.#reply(req, statusFaultReply(fault));
      case 'not-json':
        return this.#reply(req, notJsonReply());
      case 'invalid-shape':
        return this.#reply(req, jsonReply(200, { foo: 'bar' }));
      case 'oversized':
        return this.#reply(req, oversizedReply(fault.bytes));
      case 'stall-body':
        return { kind: 'stall' };
      case 'echo-token':
        return this.#reply(req, echoTokenReply(req.headers.authorization ?? '', fault.status ?? 401));
    }
  }

  /**
   * A reply that did not go through the rate limiter still carries the token's current rate-limit headers
   * when the token is known ("every response carries them"); headers the reply sets itself win, so a
   * `fault-429-daily` can report 0 remaining.
   */
  #reply(req: IncomingMessage, reply: Reply): Outcome {
    const token = knownToken(req.headers);
    const location = token === undefined ? undefined : SANDBOX_TOKENS.get(token);
    const rateHeaders = location === undefined ? {} : this.#limiter.peek(location.id, Date.now());
    return { kind: 'reply', reply: { ...reply, headers: { ...rateHeaders, ...reply.headers } } };
  }

  /** Steps 4-6: what HighLevel would answer. */
  #answer(req: IncomingMessage, id: string): Outcome {
    const version = req.headers['version'];
    if (version === undefined) {
      return this.#reply(req, errorReply(401, 'version header was not found.', 'Unauthorized'));
    }
    if (typeof version !== 'string' || !ACCEPTED_VERSIONS.has(version)) {
      return this.#reply(req, errorReply(401, 'version header is invalid', 'Unauthorized'));
    }
    const token = knownToken(req.headers);
    const location = token === undefined ? undefined : SANDBOX_TOKENS.get(token);
    if (token === undefined || location === undefined) {
      return this.#reply(req, errorReply(401, 'Invalid token: access token is invalid', 'Unauthorized'));
    }

    // HighLevel counts per app and location: every token of a location draws on one budget.
    const admission = this.#limiter.admit(location.id, Date.now());
    if (!admission.admitted) return { kind: 'reply', reply: admission.reply };
    const reply = lookup(id, location, this.#settings.generatedConversations, (conversation) => this.webhooks.current(conversation));
    return { kind: 'reply', reply: { ...reply, headers: { ...admission.headers, ...reply.headers } } };
  }
}



/** Starts a sandbox upstream; resolves once it is listening. */
export async function startSandboxUpstream(options: SandboxOptions = {}): Promise<SandboxUpstream> {
  const sandbox = new Sandbox(settingsFrom(options));
  await sandbox.listen();
  return sandbox;
}
