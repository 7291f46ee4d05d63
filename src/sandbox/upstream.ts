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
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  SANDBOX_API_VERSIONS,
  SANDBOX_CONVERSATIONS,
  SANDBOX_FAULT_CONVERSATIONS,
  SANDBOX_TOKENS,
  SANDBOX_SEEDED_FAULTS,
} from './data.js';
import { generatedConversation } from './data.js';
import type { SandboxConversation, SandboxLocation } from './data.js';

export interface SandboxOptions {
  /** Port to listen on; default 0 (an ephemeral port, read it back from `port` or `url`). */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Added before every response; default 0. */
  latencyMs?: number;
  /** Requests per token per window; default 100 (HighLevel's burst limit). */
  burstLimit?: number;
  /** Length of a burst window; default 10 000 ms. */
  burstIntervalMs?: number;
  /** Requests per token per UTC day; default 200 000. */
  dailyLimit?: number;
  /** Most recorded requests kept, oldest dropped first; default 10 000; 0 records none (counters still count). */
  requestLogLimit?: number;
  /**
   * Extra conversations of location A beyond the seeded ones, with ids `generatedConversationId(0..n-1)`,
   * for tests that need many distinct ids (pacing under the burst limit); default 0.
   */
  generatedConversations?: number;
  /**
   * How long an idle keep-alive connection stays open; default 5 000 ms (Node's default). The bench sets
   * it longer, like the load balancers in front of real APIs, so that sockets a target opened survive
   * the phases in which it sits idle.
   */
  keepAliveTimeoutMs?: number;
}

export type Fault =
  /** Wait, then answer normally. */
  | { kind: 'delay'; ms: number }
  /** Never answer: the socket stays open until the client gives up or the sandbox closes. */
  | { kind: 'hang' }
  /**
   * Answer with this status. The default body is HighLevel's documented body for the status; an object
   * body is sent as JSON, a string body raw (as text/plain unless `headers` set a content-type).
   */
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Destroy the socket with a TCP RST, without answering (the client sees ECONNRESET). */
  | { kind: 'reset' }
  /** 200 with an HTML body, like an error page from a CDN in front of the API. */
  | { kind: 'not-json' }
  /** 200 with JSON that is not a conversation. */
  | { kind: 'invalid-shape' }
  /** 200 with a conversation padded to `bytes` bytes (an oversized answer). */
  | { kind: 'oversized'; bytes: number }
  /** 200 headers and the first half of the body, then nothing more (a body that never finishes). */
  | { kind: 'stall-body' }
  /**
   * An error body (default 401) that echoes the request's credential back, as a careless upstream might:
   * the Authorization value as sent, the credential in upper and lower case, and in `traceId`.
   */
  | { kind: 'echo-token'; status?: number };

interface RecordedRequest {
  method: string;
  /** The raw request target (req.url) exactly as received, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The decoded id, when the path matched GET /conversations/<id>. */
  conversationId?: string;
  /** Epoch ms at arrival. */
  at: number;
}

export interface SandboxUpstream {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  /** Every request received since start or reset(), recorded or not. */
  totalCalls(): number;
  /** Requests that targeted this (decoded) id since start or reset(). */
  callsFor(conversationId: string): number;
  /** How many answers of each HTTP status were sent since start or reset(). */
  statusCounts(): Readonly<Record<number, number>>;
  /** TCP connections accepted since start or reset() (the benchmark's "new upstream sockets"). */
  connections(): number;
  /** '*' applies to every id; `times` limits the fault to the next N matching requests (default: unlimited). */
  setFault(conversationId: string | '*', fault: Fault, options?: { times?: number }): void;
  clearFaults(): void;
  /** Forgets requests, counters, rate-limit windows and faults set with setFault (seeded fault ids stay). */
  reset(): void;
  /** Stops listening and destroys every open socket, hung ones included; resolves once closed. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Responses

/** What a request ends in: an HTTP reply, silence, or a reset connection. */
type Outcome = { kind: 'reply'; reply: Reply } | { kind: 'hang' } | { kind: 'reset' } | { kind: 'stall' };

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

/**
 * HighLevel's error bodies (NestJS's shape). Every error carries a traceId, as HighLevel's do, so that
 * clients can be checked for logging it.
 */
function errorReply(status: number, message: string | string[], error?: string): Reply {
  const body: Record<string, unknown> = { statusCode: status, message };
  if (error !== undefined) body['error'] = error;
  body['traceId'] = randomUUID();
  return jsonReply(status, body);
}

/** The documented body for a status, used by `status` faults that bring no body of their own. */
function documentedError(status: number): Reply {
  switch (status) {
    case 400:
      return errorReply(400, 'Bad Request', 'Bad Request');
    case 401:
      return errorReply(401, 'Invalid token: access token is invalid', 'Unauthorized');
    case 403:
      return errorReply(403, 'The token does not have access to this location.');
    case 404:
      return errorReply(404, 'Conversation not found', 'Not Found');
    case 422:
      return errorReply(422, ['Unprocessable Entity'], 'Unprocessable Entity');
    case 429:
      return errorReply(429, 'Too many requests', 'Too Many Requests');
    case 500:
      return errorReply(500, 'Internal server error');
    default: {
      const reason = STATUS_CODES[status] ?? 'Error';
      return errorReply(status, reason, reason);
    }
  }
}

function echoTokenReply(authorization: string, status: number): Reply {
  const credential = authorization.trim().split(/\s+/).pop() ?? '';
  return jsonReply(status, {
    statusCode: status,
    message: [`Invalid credentials: ${authorization}`, `token ${credential.toUpperCase()} rejected`, `(${credential.toLowerCase()})`],
    traceId: `trace-${credential}`,
  });
}

function statusFaultReply(fault: Extract<Fault, { kind: 'status' }>): Reply {
  const headers = fault.headers ?? {};
  if (fault.body === undefined) {
    const reply = documentedError(fault.status);
    return { ...reply, headers: { ...reply.headers, ...headers } };
  }
  if (typeof fault.body === 'string') {
    // Sent byte for byte, so tests can serve truncated JSON or plain text under any content-type.
    return { status: fault.status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body: fault.body };
  }
  return jsonReply(fault.status, fault.body, headers);
}

const CDN_ERROR_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Just a moment...</title></head>
<body>
<h1>Checking your browser before accessing services.leadconnectorhq.com</h1>
<p>This process is automatic. Your browser will redirect to your requested content shortly.</p>
<p>Ray ID: 8f3a9c1e7b2d4a60</p>
</body>
</html>
`;

function notJsonReply(): Reply {
  return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: CDN_ERROR_PAGE };
}

/** A real-looking conversation padded with an extra key to `bytes` bytes. */
function oversizedReply(bytes: number): Reply {
  const base = { id: 'oversized', contactId: 'c', locationId: 'l', deleted: false, inbox: true, type: 1, unreadCount: 0 };
  const overhead = JSON.stringify({ ...base, padding: '' }).length;
  return jsonReply(200, { ...base, padding: 'x'.repeat(Math.max(0, bytes - overhead)) });
}

function conversationReply(conversation: SandboxConversation): Reply {
  if (conversation.wrapped) {
    return jsonReply(200, { success: true, conversation: conversation.body, traceId: randomUUID() });
  }
  return jsonReply(200, conversation.body);
}

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

const VALID_ID = /^[A-Za-z0-9_-]{1,64}$/;

// ---------------------------------------------------------------------------------------------------------
// Rate limits

interface Limits {
  burstLimit: number;
  burstIntervalMs: number;
  dailyLimit: number;
}

/** One token's usage: a fixed burst window started by its first request, and a UTC-day counter. */
interface Usage {
  windowStart: number;
  windowCount: number;
  dayResetAt: number;
  dayCount: number;
}

type Admission = { admitted: true; headers: Record<string, string> } | { admitted: false; reply: Reply };

function nextUtcMidnight(now: number): number {
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
}

class SandboxQuota {
  readonly #usage = new Map<string, Usage>();
  readonly #limits: Limits;

  constructor(limits: Limits) {
    this.#limits = limits;
  }

  /** Counts one request for `token` if its limits allow it; either way returns the headers to send. */
  admit(token: string, now: number): Admission {
    const usage = this.#current(token, now);
    this.#usage.set(token, usage);
    const { burstLimit, dailyLimit } = this.#limits;
    // The daily quota is checked first: when both are exhausted, only the daily reset helps.
    if (usage.dayCount >= dailyLimit) {
      return { admitted: false, reply: this.#tooMany(usage, now, usage.dayResetAt) };
    }
    if (usage.windowCount >= burstLimit) {
      return { admitted: false, reply: this.#tooMany(usage, now, usage.windowStart + this.#limits.burstIntervalMs) };
    }
    usage.windowCount += 1;
    usage.dayCount += 1;
    return { admitted: true, headers: this.#headers(usage) };
  }

  /** The headers a response would carry now, without counting a request (for faults and 401s). */
  peek(token: string, now: number): Record<string, string> {
    return this.#headers(this.#current(token, now));
  }

  clear(): void {
    this.#usage.clear();
  }

  /**
   * A copy of the token's usage with expired windows rolled over (a fresh record for a new token). A copy,
   * so that peek() never starts a window: only admit() stores it.
   */
  #current(token: string, now: number): Usage {
    const known = this.#usage.get(token);
    const usage: Usage = known
      ? { ...known }
      : { windowStart: now, windowCount: 0, dayResetAt: nextUtcMidnight(now), dayCount: 0 };
    if (now >= usage.windowStart + this.#limits.burstIntervalMs) {
      // Fixed window: the next one starts at the first request after the previous one ended.
      usage.windowStart = now;
      usage.windowCount = 0;
    }
    if (now >= usage.dayResetAt) {
      usage.dayResetAt = nextUtcMidnight(now);
      usage.dayCount = 0;
    }
    return usage;
  }

  #tooMany(usage: Usage, now: number, clearsAt: number): Reply {
    const reply = errorReply(429, 'Too many requests', 'Too Many Requests');
    const retryAfter = String(Math.max(1, Math.ceil((clearsAt - now) / 1000)));
    return { ...reply, headers: { ...reply.headers, ...this.#headers(usage), 'Retry-After': retryAfter } };
  }

  #headers(usage: Usage): Record<string, string> {
    const { burstLimit, burstIntervalMs, dailyLimit } = this.#limits;
    return {
      'X-RateLimit-Max': String(burstLimit),
      'X-RateLimit-Remaining': String(Math.max(0, burstLimit - usage.windowCount)),
      'X-RateLimit-Interval-Milliseconds': String(burstIntervalMs),
      'X-RateLimit-Limit-Daily': String(dailyLimit),
      'X-RateLimit-Daily-Remaining': String(Math.max(0, dailyLimit - usage.dayCount)),
      'X-RateLimit-Daily-Reset': String(usage.dayResetAt),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Faults set at run time

interface ActiveFault {
  fault: Fault;
  /** Requests left before the fault lifts; Infinity when unlimited. */
  remaining: number;
}

class FaultTable {
  readonly #faults = new Map<string, ActiveFault>();

  set(target: string, fault: Fault, times: number | undefined): void {
    if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
      throw new RangeError(`setFault: times must be a positive integer, got ${times}`);
    }
    this.#faults.set(target, { fault, remaining: times ?? Infinity });
  }

  /** The fault that applies to this request, if any, using up one of its `times`. */
  take(conversationId: string): Fault | undefined {
    for (const target of [conversationId, '*']) {
      const active = this.#faults.get(target);
      if (active === undefined) continue;
      active.remaining -= 1;
      if (active.remaining <= 0) this.#faults.delete(target);
      return active.fault;
    }
    return SANDBOX_SEEDED_FAULTS.get(conversationId);
  }

  clear(): void {
    this.#faults.clear();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The server

interface Settings extends Limits {
  port: number;
  host: string;
  latencyMs: number;
  requestLogLimit: number;
  generatedConversations: number;
  keepAliveTimeoutMs: number;
}

function settingsFrom(options: SandboxOptions): Settings {
  const settings: Settings = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    latencyMs: options.latencyMs ?? 0,
    burstLimit: options.burstLimit ?? 100,
    burstIntervalMs: options.burstIntervalMs ?? 10_000,
    dailyLimit: options.dailyLimit ?? 200_000,
    requestLogLimit: options.requestLogLimit ?? 10_000,
    generatedConversations: options.generatedConversations ?? 0,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 5_000,
  };
  for (const key of ['port', 'latencyMs', 'burstLimit', 'burstIntervalMs', 'dailyLimit', 'requestLogLimit', 'generatedConversations', 'keepAliveTimeoutMs'] as const) {
    const value = settings[key];
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`startSandboxUpstream: ${key} must be a non-negative integer, got ${value}`);
    }
  }
  return settings;
}

const CONVERSATIONS_BY_ID: ReadonlyMap<string, SandboxConversation> = new Map(
  [...SANDBOX_CONVERSATIONS, ...SANDBOX_FAULT_CONVERSATIONS].map((conversation) => [conversation.body.id, conversation]),
);


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
    const reply = lookup(id, location, this.#settings.generatedConversations);
    return { kind: 'reply', reply: { ...reply, headers: { ...admission.headers, ...reply.headers } } };
  }
}

/** Step 6, for a request that passed the header checks and the rate limits. */
function lookup(id: string, location: SandboxLocation, generated: number): Reply {
  if (!VALID_ID.test(id)) {
    return errorReply(422, ['conversationId must be a valid id'], 'Unprocessable Entity');
  }
  const conversation = CONVERSATIONS_BY_ID.get(id) ?? generatedConversation(id, generated);
  if (conversation === undefined) return errorReply(404, 'Conversation not found', 'Not Found');
  if (conversation.location.id !== location.id) {
    return errorReply(403, 'The token does not have access to this location.');
  }
  return conversationReply(conversation);
}

function deliver(req: IncomingMessage, res: ServerResponse, outcome: Exclude<Outcome, { kind: 'hang' }>): void {
  if (res.destroyed || res.writableEnded) return; // the client left while we were waiting
  if (outcome.kind === 'reset') {
    // resetAndDestroy() sends a TCP RST, so the client sees ECONNRESET rather than a clean close.
    req.socket.resetAndDestroy();
    return;
  }
  if (outcome.kind === 'stall') {
    // Promise twice what is sent, then send nothing more: the client waits for the rest until it gives up.
    const start = '{"id":"stalled","contactId":"x","locationId":"y","deleted":false';
    res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': String(start.length * 2) });
    res.write(start);
    return;
  }
  const { status, headers, body } = outcome.reply;
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}

/** Starts a sandbox upstream; resolves once it is listening. */
export async function startSandboxUpstream(options: SandboxOptions = {}): Promise<SandboxUpstream> {
  const sandbox = new Sandbox(settingsFrom(options));
  await sandbox.listen();
  return sandbox;
}
