// Unit tier: the configuration table's names and defaults, and the README's table of them (kept in step).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { CONFIG_DEFAULTS } from '../src/config.js';

describe('CONFIG_DEFAULTS', () => {
  it('lists every variable with its default for the README table', () => {
    expect(CONFIG_DEFAULTS).toEqual({
      PORT: '4000',
      HIGHLEVEL_API_URL: 'https://services.leadconnectorhq.com',
      HIGHLEVEL_API_VERSION: '2021-07-28',
      HIGHLEVEL_API_TOKEN: undefined,
      HIGHLEVEL_TIMEOUT_MS: '10000',
      LOG_LEVEL: 'info',
      HIGHLEVEL_MAX_ATTEMPTS: '3',
      HIGHLEVEL_RETRY_BASE_DELAY_MS: '200',
      HIGHLEVEL_BURST_LIMIT: '100',
      HIGHLEVEL_BURST_INTERVAL_MS: '10000',
      HIGHLEVEL_MAX_RESPONSE_BYTES: '1048576',
      OPERATION_DEADLINE_MS: '15000',
      MAX_CONCURRENT_UPSTREAM_PER_OPERATION: '64',
      MAX_SUBSCRIPTIONS_PER_CONNECTION: '20',
      CIRCUIT_BREAKER_FAILURE_RATIO: '0.5',
      CIRCUIT_BREAKER_WINDOW_MS: '10000',
      CIRCUIT_BREAKER_MIN_CALLS: '20',
      CIRCUIT_BREAKER_MIN_TENANTS: '3',
      CIRCUIT_BREAKER_COOLDOWN_MS: '10000',
      SHUTDOWN_GRACE_MS: '10000',
      HTTP_REQUEST_TIMEOUT_MS: '30000',
      HTTP_HEADERS_TIMEOUT_MS: '10000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '5000',
      HTTP_MAX_CONNECTIONS: 'auto',
      CONVERSATION_CACHE_TTL_SECONDS: '0',
      CONVERSATION_CACHE_MAX_ENTRIES: '10000',
      REDIS_URL: undefined,
      REDIS_KEY_PREFIX: 'hlgql:',
      REDIS_COMMAND_TIMEOUT_MS: '250',
      WEBHOOK_SIGNATURE_PUBLIC_KEY: undefined,
      WEBHOOK_PUBLIC_KEY: undefined,
      WEBHOOK_MAX_BODY_BYTES: '65536',
      WEBHOOK_MAX_AGE_SECONDS: '300',
      NODE_ENV: 'development',
      GRAPHQL_INTROSPECTION: undefined,
      MAX_LOOKUPS_PER_OPERATION: '100',
      MAX_REQUEST_BODY_BYTES: '102400',
      GRAPHQL_MAX_TOKENS: '10000',
      GRAPHQL_MAX_DEPTH: '8',
      GRAPHQL_MAX_ALIASES: '200',
      GRAPHQL_MAX_DIRECTIVES: '50',
      CORS_ALLOWED_ORIGINS: '',
      PERSISTED_OPERATIONS_SAFELIST: undefined,
      CACHE_MAX_AGE_SECONDS: '0',
      HIGHLEVEL_COALESCE_INFLIGHT: 'true',
      OTEL_SDK_DISABLED: 'false',
      OTEL_TRACES_EXPORTER: '',
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: undefined,
      OTEL_SERVICE_NAME: undefined,
    });
  });
});

describe("the README's configuration table", () => {
  it('lists every variable with the default the code uses', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const [name, fallback] of Object.entries(CONFIG_DEFAULTS)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row).toBeDefined();
      if (fallback) expect(row?.split('|')[2]).toContain(`\`${fallback}\``);
    }
  });
});
