// How a sandbox is started (its options, checked into settings) and what a started one offers tests.
import type { IncomingHttpHeaders } from 'node:http';
import type { Fault } from './data.js';
import type { Limits } from './quota.js';
import type { SandboxChanges } from './changes.js';

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

export interface RecordedRequest {
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
  /** Conversations changed by POST /sandbox/conversations/{id}, and the signed webhooks that tell of it (changes.ts). */
  readonly webhooks: Pick<SandboxChanges, 'publicKeys' | 'sendWebhooksTo' | 'sign'>;
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

export interface Settings extends Limits {
  port: number;
  host: string;
  latencyMs: number;
  requestLogLimit: number;
  generatedConversations: number;
  keepAliveTimeoutMs: number;
}

export function settingsFrom(options: SandboxOptions): Settings {
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
