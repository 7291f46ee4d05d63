// Configuration comes from the environment only, validated once at start-up. A bad value stops the
// process with one line naming the variable, rather than failing on the first request hours later.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface Config {
  /** Port the GraphQL service listens on. */
  port: number;
  /** Base URL of HighLevel's API (or of anything speaking its protocol, such as the sandbox). */
  highLevelApiUrl: string;
  /** Value of the `Version` header sent upstream. */
  highLevelApiVersion: string;
  /** Token used when a request carries no Authorization header; undefined means such requests fail. */
  highLevelApiToken: string | undefined;
  /** Upper bound of one upstream request, from connect to the last byte of the body. */
  highLevelTimeoutMs: number;
  logLevel: LogLevel;
  /** Attempts per upstream call, the first included (retries are attempts - 1). */
  highLevelMaxAttempts: number;
  /** First retry waits about this long (with jitter), doubling per attempt. */
  highLevelRetryBaseDelayMs: number;
  /** Burst limit assumed per token until HighLevel's X-RateLimit-Max says otherwise. */
  highLevelBurstLimit: number;
  /** Burst window assumed until HighLevel's X-RateLimit-Interval-Milliseconds says otherwise. */
  highLevelBurstIntervalMs: number;
  /** Largest upstream body accepted. */
  highLevelMaxResponseBytes: number;
  /** Time one GraphQL operation may spend on upstream calls, queueing and retries included. */
  operationDeadlineMs: number;
  /** Upstream calls one operation may have in flight at once. */
  maxConcurrentUpstreamPerOperation: number;
  /** Share of calls in the window that must be outages (5xx, timeouts, unreachable) to open a circuit. */
  circuitBreakerFailureRatio: number;
  /** The rolling window outages are counted in. */
  circuitBreakerWindowMs: number;
  /** Calls the window must hold before a circuit can open. */
  circuitBreakerMinCalls: number;
  /** Tenants whose outages it takes to declare HighLevel as a whole down (connection-level outages need none). */
  circuitBreakerMinTenants: number;
  /** How long an open circuit fails fast before letting a few probes through. */
  circuitBreakerCooldownMs: number;
  /** On SIGTERM, how long in-flight operations may take to finish before connections are cut. */
  shutdownGraceMs: number;
  /** Longest time a client may take to send a whole request, body included (Node's requestTimeout). */
  httpRequestTimeoutMs: number;
  /** Longest time a client may take to send a request's headers, or to send anything on a new connection. */
  httpHeadersTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open. */
  httpKeepAliveTimeoutMs: number;
  /** Most client connections open at once; further ones are closed as they arrive. */
  httpMaxConnections: number;
  /** NODE_ENV=production: no introspection or landing page unless enabled, no stack traces. */
  production: boolean;
  /** Introspection (and the IDE page that needs it); by default on outside production only. */
  introspection: boolean;
  /** Upstream lookups one operation may cause, counted before it runs. */
  maxLookupsPerOperation: number;
  /** Largest request body accepted (413 above). */
  maxRequestBodyBytes: number;
  /** Parser token limit of a GraphQL document. */
  maxQueryTokens: number;
  /** Deepest field nesting accepted. */
  maxQueryDepth: number;
  /** Most aliases accepted in one document. */
  maxQueryAliases: number;
  /** Most directives accepted in one document. */
  maxQueryDirectives: number;
  /** Origins allowed to call the service from a browser (CORS); empty means CORS is off. */
  corsAllowedOrigins: string[];
  /** Path of a persisted-operations manifest: when set, only the operations it lists are executed. */
  safelistManifest: string | undefined;
  /** max-age of (always private) cacheable answers; 0 answers Cache-Control: no-store. */
  cacheMaxAgeSeconds: number;
  /** Concurrent reads of the same id with the same token, across operations, share one upstream call. */
  coalesceInflight: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration problem: its message is the single line printed before exiting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const integer = (min: number, max: number) =>
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
const ratio = z
  .string()
  .regex(/^(0?\.\d+|1(\.0+)?|0)$/, 'must be a decimal between 0 and 1, such as 0.5')
  .transform(Number)
  .pipe(z.number().gt(0, 'must be greater than 0').lte(1, 'must be at most 1'));

const boolean = z.enum(['true', 'false'], 'must be true or false').transform((value) => value === 'true');

/** A comma-separated list of origins such as https://app.example.com (scheme, host, optional port). */
const origins = z
  .string()
  .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
  .pipe(
    z.array(
      z.string().regex(/^https?:\/\/[^/\s,]+$/, 'must be a comma-separated list of origins such as https://app.example.com'),
    ),
  );

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((url) => url.replace(/\/+$/, ''));

// One entry per environment variable: the variable's name, its parser, its default.
const variables = {
  PORT: { key: 'port', schema: integer(0, 65535), fallback: '4000' },
  HIGHLEVEL_API_URL: { key: 'highLevelApiUrl', schema: httpUrl, fallback: 'https://services.leadconnectorhq.com' },
  HIGHLEVEL_API_VERSION: {
    key: 'highLevelApiVersion',
    // Sent as a header: printable ASCII without spaces, so it can never split or inject a header.
    schema: z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be 1-64 printable characters without spaces'),
    fallback: '2021-07-28',
  },
  HIGHLEVEL_API_TOKEN: {
    key: 'highLevelApiToken',
    schema: z.string().regex(/^[\x21-\x7e]+$/, 'must be printable characters without spaces (the token alone, without "Bearer")'),
    fallback: undefined,
  },
  HIGHLEVEL_TIMEOUT_MS: { key: 'highLevelTimeoutMs', schema: integer(1, 600_000), fallback: '10000' },
  LOG_LEVEL: { key: 'logLevel', schema: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`), fallback: 'info' },
  HIGHLEVEL_MAX_ATTEMPTS: { key: 'highLevelMaxAttempts', schema: integer(1, 10), fallback: '3' },
  HIGHLEVEL_RETRY_BASE_DELAY_MS: { key: 'highLevelRetryBaseDelayMs', schema: integer(1, 60_000), fallback: '200' },
  HIGHLEVEL_BURST_LIMIT: { key: 'highLevelBurstLimit', schema: integer(1, 100_000), fallback: '100' },
  HIGHLEVEL_BURST_INTERVAL_MS: { key: 'highLevelBurstIntervalMs', schema: integer(1, 3_600_000), fallback: '10000' },
  HIGHLEVEL_MAX_RESPONSE_BYTES: { key: 'highLevelMaxResponseBytes', schema: integer(1024, 64 * 1024 * 1024), fallback: '1048576' },
  OPERATION_DEADLINE_MS: { key: 'operationDeadlineMs', schema: integer(1, 600_000), fallback: '15000' },
  MAX_CONCURRENT_UPSTREAM_PER_OPERATION: { key: 'maxConcurrentUpstreamPerOperation', schema: integer(1, 1000), fallback: '64' },
  CIRCUIT_BREAKER_FAILURE_RATIO: { key: 'circuitBreakerFailureRatio', schema: ratio, fallback: '0.5' },
  CIRCUIT_BREAKER_WINDOW_MS: { key: 'circuitBreakerWindowMs', schema: integer(100, 3_600_000), fallback: '10000' },
  CIRCUIT_BREAKER_MIN_CALLS: { key: 'circuitBreakerMinCalls', schema: integer(1, 100_000), fallback: '20' },
  CIRCUIT_BREAKER_MIN_TENANTS: { key: 'circuitBreakerMinTenants', schema: integer(1, 1000), fallback: '3' },
  CIRCUIT_BREAKER_COOLDOWN_MS: { key: 'circuitBreakerCooldownMs', schema: integer(1, 3_600_000), fallback: '10000' },
  SHUTDOWN_GRACE_MS: { key: 'shutdownGraceMs', schema: integer(0, 600_000), fallback: '10000' },
  HTTP_REQUEST_TIMEOUT_MS: { key: 'httpRequestTimeoutMs', schema: integer(1000, 600_000), fallback: '30000' },
  HTTP_HEADERS_TIMEOUT_MS: { key: 'httpHeadersTimeoutMs', schema: integer(1000, 600_000), fallback: '10000' },
  HTTP_KEEP_ALIVE_TIMEOUT_MS: { key: 'httpKeepAliveTimeoutMs', schema: integer(1, 600_000), fallback: '5000' },
  HTTP_MAX_CONNECTIONS: {
    key: 'httpMaxConnections',
    schema: z.union([z.literal('auto').transform(() => automaticMaxConnections()), integer(1, 1_000_000)], 'must be auto or a whole number from 1 to 1000000'),
    fallback: 'auto',
  },
  NODE_ENV: { key: 'production', schema: z.string().transform((value) => value === 'production'), fallback: 'development' },
  GRAPHQL_INTROSPECTION: { key: 'introspection', schema: boolean, fallback: undefined },
  MAX_LOOKUPS_PER_OPERATION: { key: 'maxLookupsPerOperation', schema: integer(1, 10_000), fallback: '100' },
  MAX_REQUEST_BODY_BYTES: { key: 'maxRequestBodyBytes', schema: integer(1024, 64 * 1024 * 1024), fallback: '102400' },
  GRAPHQL_MAX_TOKENS: { key: 'maxQueryTokens', schema: integer(10, 1_000_000), fallback: '10000' },
  GRAPHQL_MAX_DEPTH: { key: 'maxQueryDepth', schema: integer(1, 100), fallback: '8' },
  GRAPHQL_MAX_ALIASES: { key: 'maxQueryAliases', schema: integer(0, 100_000), fallback: '200' },
  GRAPHQL_MAX_DIRECTIVES: { key: 'maxQueryDirectives', schema: integer(0, 100_000), fallback: '50' },
  CORS_ALLOWED_ORIGINS: { key: 'corsAllowedOrigins', schema: origins, fallback: '' },
  PERSISTED_OPERATIONS_SAFELIST: { key: 'safelistManifest', schema: z.string().min(1), fallback: undefined },
  CACHE_MAX_AGE_SECONDS: { key: 'cacheMaxAgeSeconds', schema: integer(0, 86_400), fallback: '0' },
  HIGHLEVEL_COALESCE_INFLIGHT: { key: 'coalesceInflight', schema: boolean, fallback: 'true' },
} as const;

/** Variables an issue replaced: setting one stops the process with a line naming what replaces it. */
const REPLACED: Readonly<Record<string, string>> = {
  CIRCUIT_BREAKER_THRESHOLD:
    'CIRCUIT_BREAKER_THRESHOLD (consecutive failures) is replaced by CIRCUIT_BREAKER_FAILURE_RATIO, CIRCUIT_BREAKER_WINDOW_MS, CIRCUIT_BREAKER_MIN_CALLS and CIRCUIT_BREAKER_MIN_TENANTS: see the README\'s configuration table',
};

/** Environment variable names with their defaults, as the README's configuration table lists them. */
export const CONFIG_DEFAULTS: Readonly<Record<keyof typeof variables, string | undefined>> = Object.fromEntries(
  Object.entries(variables).map(([name, variable]) => [name, variable.fallback]),
) as Record<keyof typeof variables, string | undefined>;

/**
 * Reads and validates the configuration. An empty variable counts as unset, so `FOO=` in a compose
 * file means "use the default" rather than "invalid".
 * @throws ConfigError naming the first variable that is invalid, without echoing its value (it may be a secret).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  for (const [name, replacement] of Object.entries(REPLACED)) {
    if (env[name] !== undefined && env[name] !== '') throw new ConfigError(`Invalid configuration: ${replacement}`);
  }
  const config: Record<string, unknown> = {};
  for (const [name, { key, schema, fallback }] of Object.entries(variables)) {
    const given = env[name];
    const raw = given === undefined || given === '' ? fallback : given;
    if (raw === undefined) {
      config[key] = undefined;
      continue;
    }
    const parsed = (schema as z.ZodType).safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]?.message ?? 'is invalid';
      throw new ConfigError(`Invalid configuration: ${name} ${reason}`);
    }
    config[key] = parsed.data;
  }
  // Unset GRAPHQL_INTROSPECTION follows NODE_ENV: on in development, off in production.
  config.introspection ??= !config.production;
  // Node's own rule: headers are part of the request, so their bound cannot be the longer one.
  if ((config.httpHeadersTimeoutMs as number) > (config.httpRequestTimeoutMs as number)) {
    throw new ConfigError('Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  return config as unknown as Config;
}
