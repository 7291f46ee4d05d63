// Starts the real pieces on loopback for integration tests: the sandbox upstream (a real HTTP server
// speaking HighLevel's protocol) and the service pointed at it, with the service's log lines captured.
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { type ConfigOverrides, loadConfig, withOverrides } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Tracing } from '../../src/observability/tracing.js';
import { type RunningService, startService } from '../../src/server.js';
import { SANDBOX_LOCATIONS } from '../../sandbox/data.js';
import { type SandboxOptions, type SandboxUpstream, startSandboxUpstream } from '../../sandbox/upstream.js';

export const [LOCATION_A, LOCATION_B] = SANDBOX_LOCATIONS as unknown as [
  (typeof SANDBOX_LOCATIONS)[number],
  (typeof SANDBOX_LOCATIONS)[number],
];

export interface GraphQLAnswer {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  };
}

export interface RequestOptions {
  variables?: Record<string, unknown>;
  /** Bearer token to send; `null` sends no Authorization header. Defaults to location A's token. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface Stack extends Instance {
  sandbox: SandboxUpstream;
}

export async function startStack(
  options: { config?: ConfigOverrides; sandbox?: SandboxOptions; tracing?: Tracing; /** The sandbox's changes send signed webhooks to the service. */ live?: boolean } = {},
): Promise<Stack> {
  const sandbox = await startSandboxUpstream(options.sandbox);
  let instance: Instance;
  try {
    const { ed25519, rsa } = sandbox.webhooks.publicKeys;
    const config = options.live ? { ...options.config, webhooks: { signaturePublicKey: ed25519, publicKey: rsa, ...options.config?.webhooks } } : options.config;
    instance = await startInstance(sandbox, { ...options, config });
    if (options.live) sandbox.webhooks.sendWebhooksTo(`${instance.service.url}/webhooks/highlevel`);
  } catch (error) {
    await sandbox.close();
    throw error;
  }
  return {
    ...instance,
    sandbox,
    async stop() {
      await instance.stop();
      await sandbox.close();
    },
  };
}

/** One service instance pointed at a sandbox (several may share one: the scale-out tests). */
export interface Instance {
  service: RunningService;
  /** Every line the service logged, raw. */
  logs: string[];
  graphql(query: string, options?: RequestOptions): Promise<GraphQLAnswer>;
  stop(): Promise<void>;
}

export async function startInstance(sandbox: SandboxUpstream, options: { config?: ConfigOverrides; tracing?: Tracing } = {}): Promise<Instance> {
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  // The documented defaults, except what a test run needs: ephemeral port, the sandbox, quick retries.
  const testing = withOverrides(loadConfig({}), {
    http: { port: 0 },
    upstream: { baseUrl: sandbox.url, timeoutMs: 2000, retryBaseDelayMs: 20 },
    observability: { logLevel: 'debug' },
  });
  const config = withOverrides(testing, {
    ...options.config,
    // A test's upstream settings are laid over the test defaults, not over the documented ones.
    ...(options.config?.upstream ? { upstream: { ...testing.upstream, ...options.config.upstream } } : {}),
  });
  const service = await startService({ config, logger: createLogger(config.observability.logLevel, destination), host: '127.0.0.1', tracing: options.tracing });
  return {
    service,
    logs,
    graphql: (query, requestOptions) => postGraphQL(service.graphqlUrl, query, requestOptions),
    stop: () => service.stop(),
  };
}

/**
 * For suites that share one stack: started before the first test, stopped after the last, with the
 * sandbox's counters cleared before each test (the captured log lines are kept). Its properties are read
 * when a test runs, so it can be declared at the top of the file.
 */
export function stackPerSuite(options: Parameters<typeof startStack>[0] = {}): Stack {
  let current: Stack | undefined;
  beforeAll(async () => {
    current = await startStack(options);
  });
  afterAll(async () => {
    await current?.stop();
  });
  beforeEach(() => {
    current?.sandbox.reset();
  });
  const started = (): Stack => {
    if (!current) throw new Error('the suite stack is used before beforeAll started it');
    return current;
  };
  return {
    get sandbox() {
      return started().sandbox;
    },
    get service() {
      return started().service;
    },
    get logs() {
      return started().logs;
    },
    graphql: (query, requestOptions) => started().graphql(query, requestOptions),
    stop: () => started().stop(),
  };
}

/** For suites that start a stack per test: returns `start`, and stops what it started after each test. */
export function stackPerTest(): (options?: Parameters<typeof startStack>[0]) => Promise<Stack> {
  let current: Stack | undefined;
  afterEach(async () => {
    await current?.stop();
    current = undefined;
  });
  return async (options) => {
    current = await startStack(options);
    return current;
  };
}

export async function postGraphQL(url: string, query: string, options: RequestOptions = {}): Promise<GraphQLAnswer> {
  const token = options.token === undefined ? LOCATION_A.token : options.token;
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLAnswer['body'] };
}

/** All fields of Conversation, for queries that check the whole translation. */
export const ALL_FIELDS = 'id contactId locationId deleted inbox type unreadCount assignedTo starred';
