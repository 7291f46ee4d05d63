// Configuration comes from the environment only, validated once at start-up. A bad value stops the
// process with one line naming the variable, rather than failing on the first request hours later.
//
// One table below is the whole of it: each variable's name (in the environment), the group of the
// module that consumes it, its name in that group (in code), its parser and its default. `Config` is
// inferred from the table, so a setting has exactly those two names, and each module takes its group
// as it is (`new HighLevelClient({ ...config.upstream, breaker: config.breaker })`).
import { z } from 'zod';
import {
  LOG_LEVELS,
  automaticMaxConnections,
  boolean,
  ed25519PublicKey,
  httpUrl,
  integer,
  keyPrefix,
  names,
  origins,
  ratio,
  redisUrl,
  rsaPublicKey,
} from './config-values.js';

export { automaticMaxConnections } from './config-values.js';
export type { LogLevel } from './config-values.js';

/** A configuration problem: its message is the single line printed before exiting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const GROUPS = ['upstream', 'breaker', 'cache', 'redis', 'webhooks', 'limits', 'http', 'graphql', 'observability'] as const;
type Group = (typeof GROUPS)[number];

/** One row of the table. */
const row = <G extends Group, K extends string, S extends z.ZodType, F extends string | undefined>(group: G, key: K, schema: S, fallback: F) => ({
  group,
  key,
  schema,
  fallback,
});

const variables = {
  // Where HighLevel is and how to call it (src/upstream/).
  HIGHLEVEL_API_URL: row('upstream', 'baseUrl', httpUrl, 'https://services.leadconnectorhq.com'),
  // Sent as a header: printable ASCII without spaces, so it can never split or inject a header.
  HIGHLEVEL_API_VERSION: row('upstream', 'apiVersion', z.string().regex(/^[\x21-\x7e]{1,64}$/, 'must be 1-64 printable characters without spaces'), '2021-07-28'),
  HIGHLEVEL_API_TOKEN: row(
    'upstream',
    'token',
    z.string().regex(/^[\x21-\x7e]+$/, 'must be printable characters without spaces (the token alone, without "Bearer")'),
    undefined,
  ),
  HIGHLEVEL_TIMEOUT_MS: row('upstream', 'timeoutMs', integer(1, 600_000), '10000'),
  HIGHLEVEL_MAX_ATTEMPTS: row('upstream', 'maxAttempts', integer(1, 10), '3'),
  HIGHLEVEL_RETRY_BASE_DELAY_MS: row('upstream', 'retryBaseDelayMs', integer(1, 60_000), '200'),
  HIGHLEVEL_BURST_LIMIT: row('upstream', 'burstLimit', integer(1, 100_000), '100'),
  HIGHLEVEL_BURST_INTERVAL_MS: row('upstream', 'burstIntervalMs', integer(1, 3_600_000), '10000'),
  HIGHLEVEL_MAX_RESPONSE_BYTES: row('upstream', 'maxResponseBytes', integer(1024, 64 * 1024 * 1024), '1048576'),
  HIGHLEVEL_COALESCE_INFLIGHT: row('upstream', 'coalesce', boolean, 'true'),
  // The circuit breaker (src/upstream/circuit-breaker.ts).
  CIRCUIT_BREAKER_FAILURE_RATIO: row('breaker', 'failureRatio', ratio, '0.5'),
  CIRCUIT_BREAKER_WINDOW_MS: row('breaker', 'windowMs', integer(100, 3_600_000), '10000'),
  CIRCUIT_BREAKER_MIN_CALLS: row('breaker', 'minCalls', integer(1, 100_000), '20'),
  CIRCUIT_BREAKER_MIN_TENANTS: row('breaker', 'minTenants', integer(1, 1000), '3'),
  CIRCUIT_BREAKER_COOLDOWN_MS: row('breaker', 'cooldownMs', integer(1, 3_600_000), '10000'),
  // The private conversation cache (src/upstream/conversation-cache.ts); off at 0.
  CONVERSATION_CACHE_TTL_SECONDS: row('cache', 'ttlSeconds', integer(0, 86_400), '0'),
  CONVERSATION_CACHE_MAX_ENTRIES: row('cache', 'maxEntries', integer(1, 10_000_000), '10000'),
  // Redis, shared by several instances for budgets and the cache (src/redis/); unset: all in process.
  REDIS_URL: row('redis', 'url', redisUrl, undefined),
  REDIS_KEY_PREFIX: row('redis', 'keyPrefix', keyPrefix, 'hlgql:'),
  REDIS_COMMAND_TIMEOUT_MS: row('redis', 'commandTimeoutMs', integer(10, 60_000), '250'),
  // HighLevel's webhooks (src/webhooks/); the endpoint is on when either key is set.
  WEBHOOK_SIGNATURE_PUBLIC_KEY: row('webhooks', 'signaturePublicKey', ed25519PublicKey, undefined),
  WEBHOOK_PUBLIC_KEY: row('webhooks', 'publicKey', rsaPublicKey, undefined),
  WEBHOOK_MAX_BODY_BYTES: row('webhooks', 'maxBodyBytes', integer(1024, 16 * 1024 * 1024), '65536'),
  WEBHOOK_MAX_AGE_SECONDS: row('webhooks', 'maxAgeSeconds', integer(1, 86_400), '300'),
  // What one operation may cost and look like (src/limits/, the loader).
  OPERATION_DEADLINE_MS: row('limits', 'operationDeadlineMs', integer(1, 600_000), '15000'),
  MAX_CONCURRENT_UPSTREAM_PER_OPERATION: row('limits', 'maxConcurrentUpstream', integer(1, 1000), '64'),
  MAX_LOOKUPS_PER_OPERATION: row('limits', 'maxLookups', integer(1, 10_000), '100'),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: row('limits', 'maxSubscriptionsPerConnection', integer(1, 1000), '20'),
  MAX_REQUEST_BODY_BYTES: row('limits', 'maxRequestBodyBytes', integer(1024, 64 * 1024 * 1024), '102400'),
  GRAPHQL_MAX_TOKENS: row('limits', 'maxTokens', integer(10, 1_000_000), '10000'),
  GRAPHQL_MAX_DEPTH: row('limits', 'maxDepth', integer(1, 100), '8'),
  GRAPHQL_MAX_ALIASES: row('limits', 'maxAliases', integer(0, 100_000), '200'),
  GRAPHQL_MAX_DIRECTIVES: row('limits', 'maxDirectives', integer(0, 100_000), '50'),
  PERSISTED_OPERATIONS_SAFELIST: row('limits', 'safelistManifest', z.string().min(1), undefined),
  // The HTTP front (src/server.ts, src/connections.ts).
  PORT: row('http', 'port', integer(0, 65535), '4000'),
  CORS_ALLOWED_ORIGINS: row('http', 'corsAllowedOrigins', origins, ''),
  SHUTDOWN_GRACE_MS: row('http', 'shutdownGraceMs', integer(0, 600_000), '10000'),
  HTTP_REQUEST_TIMEOUT_MS: row('http', 'requestTimeoutMs', integer(1000, 600_000), '30000'),
  HTTP_HEADERS_TIMEOUT_MS: row('http', 'headersTimeoutMs', integer(1000, 600_000), '10000'),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: row('http', 'keepAliveTimeoutMs', integer(1, 600_000), '5000'),
  HTTP_MAX_CONNECTIONS: row(
    'http',
    'maxConnections',
    z.union([z.literal('auto').transform(() => automaticMaxConnections()), integer(1, 1_000_000)], 'must be auto or a whole number from 1 to 1000000'),
    'auto',
  ),
  // Apollo Server as configured here (src/apollo.ts).
  NODE_ENV: row('graphql', 'production', z.string().transform((value) => value === 'production'), 'development'),
  GRAPHQL_INTROSPECTION: row('graphql', 'introspection', boolean, undefined),
  CACHE_MAX_AGE_SECONDS: row('graphql', 'cacheMaxAgeSeconds', integer(0, 86_400), '0'),
  // Logs and traces (src/observability/). The OTEL_* variables are OpenTelemetry's own; the exporter
  // reads the endpoints again itself, as the SDK does.
  LOG_LEVEL: row('observability', 'logLevel', z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`), 'info'),
  OTEL_SDK_DISABLED: row('observability', 'otelDisabled', boolean, 'false'),
  OTEL_TRACES_EXPORTER: row('observability', 'tracesExporters', names, ''),
  OTEL_EXPORTER_OTLP_ENDPOINT: row('observability', 'otlpEndpoint', z.string().min(1), undefined),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: row('observability', 'otlpTracesEndpoint', z.string().min(1), undefined),
  OTEL_SERVICE_NAME: row('observability', 'serviceName', z.string().min(1), undefined),
};

type Variables = typeof variables;
/** A variable's value: what its parser gives, or undefined when it has no default and is unset. */
type ValueOf<V extends Variables[keyof Variables]> = z.output<V['schema']> | (undefined extends V['fallback'] ? undefined : never);
type GroupOf<G extends Group> = {
  [N in keyof Variables as Variables[N]['group'] extends G ? Variables[N]['key'] : never]: ValueOf<Variables[N]>;
};

/** The configuration, one group per consuming module; unset GRAPHQL_INTROSPECTION follows NODE_ENV. */
export type Config = { [G in Exclude<Group, 'graphql'>]: GroupOf<G> } & {
  graphql: Omit<GroupOf<'graphql'>, 'introspection'> & { introspection: boolean };
};

/** What a caller (a test, the sandbox) may override: any settings of any group. */
export type ConfigOverrides = { [G in keyof Config]?: Partial<Config[G]> };

/** Variables an issue replaced: setting one stops the process with a line naming what replaces it. */
const REPLACED: Readonly<Record<string, string>> = {
  CIRCUIT_BREAKER_THRESHOLD:
    "CIRCUIT_BREAKER_THRESHOLD (consecutive failures) is replaced by CIRCUIT_BREAKER_FAILURE_RATIO, CIRCUIT_BREAKER_WINDOW_MS, CIRCUIT_BREAKER_MIN_CALLS and CIRCUIT_BREAKER_MIN_TENANTS: see the README's configuration table",
};

/** Environment variable names with their defaults, as the README's configuration table lists them. */
export const CONFIG_DEFAULTS: Readonly<Record<keyof Variables, string | undefined>> = Object.fromEntries(
  Object.entries(variables).map(([name, variable]) => [name, variable.fallback]),
) as Record<keyof Variables, string | undefined>;

/**
 * Reads and validates the configuration. An empty variable counts as unset, so `FOO=` in a compose
 * file means "use the default" rather than "invalid".
 * @throws ConfigError naming the first variable that is invalid, without echoing its value (it may be a secret).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  for (const [name, replacement] of Object.entries(REPLACED)) {
    if (env[name] !== undefined && env[name] !== '') throw new ConfigError(`Invalid configuration: ${replacement}`);
  }
  const groups = Object.fromEntries(GROUPS.map((group) => [group, {} as Record<string, unknown>])) as Record<Group, Record<string, unknown>>;
  for (const [name, { group, key, schema, fallback }] of Object.entries(variables)) {
    const given = env[name];
    const raw = given === undefined || given === '' ? fallback : given;
    if (raw === undefined) {
      groups[group][key] = undefined;
      continue;
    }
    const parsed = (schema as z.ZodType).safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]?.message ?? 'is invalid';
      throw new ConfigError(`Invalid configuration: ${name} ${reason}`);
    }
    groups[group][key] = parsed.data;
  }
  const config = groups as unknown as Config;
  // Unset GRAPHQL_INTROSPECTION follows NODE_ENV: on in development, off in production.
  config.graphql.introspection ??= !config.graphql.production;
  // Node's own rule: headers are part of the request, so their bound cannot be the longer one.
  if (config.http.headersTimeoutMs > config.http.requestTimeoutMs) {
    throw new ConfigError('Invalid configuration: HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  return config;
}

/** `config` with `overrides` laid over it, group by group. */
export function withOverrides(config: Config, overrides: ConfigOverrides = {}): Config {
  const merged = { ...config } as Record<string, unknown>;
  for (const [group, values] of Object.entries(overrides)) merged[group] = { ...(config[group as keyof Config] as object), ...values };
  return merged as unknown as Config;
}
