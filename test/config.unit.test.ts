// Unit tier: configuration from the environment, defaults and refusals (the README's table of them:
// config-table.unit.test.ts).
import { describe, expect, it } from '@jest/globals';
import { ConfigError, automaticMaxConnections, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      upstream: {
        baseUrl: 'https://services.leadconnectorhq.com',
        apiVersion: '2021-07-28',
        token: undefined,
        timeoutMs: 10000,
        maxAttempts: 3,
        retryBaseDelayMs: 200,
        burstLimit: 100,
        burstIntervalMs: 10000,
        maxResponseBytes: 1048576,
        coalesce: true,
      },
      breaker: {
        failureRatio: 0.5,
        windowMs: 10000,
        minCalls: 20,
        minTenants: 3,
        cooldownMs: 10000,
      },
      cache: { ttlSeconds: 0, maxEntries: 10000 },
      redis: { url: undefined, keyPrefix: 'hlgql:', commandTimeoutMs: 250 },
      webhooks: { signaturePublicKey: undefined, publicKey: undefined, maxBodyBytes: 65536, maxAgeSeconds: 300 },
      limits: {
        operationDeadlineMs: 15000,
        maxConcurrentUpstream: 64,
        maxLookups: 100,
        maxSubscriptionsPerConnection: 20,
        maxRequestBodyBytes: 102400,
        maxTokens: 10000,
        maxDepth: 8,
        maxAliases: 200,
        maxDirectives: 50,
        safelistManifest: undefined,
      },
      http: {
        port: 4000,
        shutdownGraceMs: 10000,
        requestTimeoutMs: 30000,
        headersTimeoutMs: 10000,
        keepAliveTimeoutMs: 5000,
        maxConnections: automaticMaxConnections(),
        corsAllowedOrigins: [],
      },
      graphql: {
        production: false,
        introspection: true,
        cacheMaxAgeSeconds: 0,
      },
      observability: {
        logLevel: 'info',
        otelDisabled: false,
        tracesExporters: [],
        otlpEndpoint: undefined,
        otlpTracesEndpoint: undefined,
        serviceName: undefined,
      },
    });
  });

  it('turns introspection off in production unless GRAPHQL_INTROSPECTION says otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'production' })).toMatchObject({ graphql: { production: true, introspection: false } });
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' })).toMatchObject({ graphql: { production: true, introspection: true } });
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' })).toMatchObject({ graphql: { production: false, introspection: false } });
  });

  it('reads CORS_ALLOWED_ORIGINS as a list', () => {
    expect(loadConfig({ CORS_ALLOWED_ORIGINS: 'https://app.example.com, http://localhost:5173' }).http.corsAllowedOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it('reads every variable', () => {
    expect(
      loadConfig({
        PORT: '8080',
        HIGHLEVEL_API_URL: 'http://127.0.0.1:9999/base/',
        HIGHLEVEL_API_VERSION: '2023-02-21',
        HIGHLEVEL_API_TOKEN: 'pit-123',
        HIGHLEVEL_TIMEOUT_MS: '2500',
        LOG_LEVEL: 'debug',
        HIGHLEVEL_MAX_ATTEMPTS: '5',
        HIGHLEVEL_RETRY_BASE_DELAY_MS: '50',
        HIGHLEVEL_BURST_LIMIT: '20',
        HIGHLEVEL_BURST_INTERVAL_MS: '1000',
        HIGHLEVEL_MAX_RESPONSE_BYTES: '2048',
        OPERATION_DEADLINE_MS: '8000',
        MAX_CONCURRENT_UPSTREAM_PER_OPERATION: '4',
        CIRCUIT_BREAKER_FAILURE_RATIO: '0.25',
        CIRCUIT_BREAKER_WINDOW_MS: '30000',
        CIRCUIT_BREAKER_MIN_CALLS: '50',
        CIRCUIT_BREAKER_MIN_TENANTS: '2',
        CIRCUIT_BREAKER_COOLDOWN_MS: '2000',
        SHUTDOWN_GRACE_MS: '0',
        HTTP_REQUEST_TIMEOUT_MS: '20000',
        HTTP_HEADERS_TIMEOUT_MS: '4000',
        HTTP_KEEP_ALIVE_TIMEOUT_MS: '65000',
        HTTP_MAX_CONNECTIONS: '500',
        NODE_ENV: 'production',
        GRAPHQL_INTROSPECTION: 'true',
        MAX_LOOKUPS_PER_OPERATION: '10',
        MAX_REQUEST_BODY_BYTES: '4096',
        GRAPHQL_MAX_TOKENS: '500',
        GRAPHQL_MAX_DEPTH: '4',
        GRAPHQL_MAX_ALIASES: '20',
        GRAPHQL_MAX_DIRECTIVES: '5',
        CORS_ALLOWED_ORIGINS: 'https://app.example.com',
        PERSISTED_OPERATIONS_SAFELIST: '/etc/manifest.json',
        CACHE_MAX_AGE_SECONDS: '30',
        HIGHLEVEL_COALESCE_INFLIGHT: 'false',
        OTEL_SDK_DISABLED: 'true',
        OTEL_TRACES_EXPORTER: 'otlp, console',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
        OTEL_SERVICE_NAME: 'conversations-eu',
        CONVERSATION_CACHE_TTL_SECONDS: '5',
        CONVERSATION_CACHE_MAX_ENTRIES: '500',
        REDIS_URL: 'rediss://:pass@redis.internal:6380/2',
        REDIS_KEY_PREFIX: 'conversations:',
        REDIS_COMMAND_TIMEOUT_MS: '100',
        WEBHOOK_SIGNATURE_PUBLIC_KEY: 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=',
        WEBHOOK_MAX_BODY_BYTES: '4096',
        WEBHOOK_MAX_AGE_SECONDS: '60',
      }),
    ).toEqual({
      upstream: {
        baseUrl: 'http://127.0.0.1:9999/base',
        apiVersion: '2023-02-21',
        token: 'pit-123',
        timeoutMs: 2500,
        maxAttempts: 5,
        retryBaseDelayMs: 50,
        burstLimit: 20,
        burstIntervalMs: 1000,
        maxResponseBytes: 2048,
        coalesce: false,
      },
      breaker: {
        failureRatio: 0.25,
        windowMs: 30000,
        minCalls: 50,
        minTenants: 2,
        cooldownMs: 2000,
      },
      cache: { ttlSeconds: 5, maxEntries: 500 },
      redis: { url: 'rediss://:pass@redis.internal:6380/2', keyPrefix: 'conversations:', commandTimeoutMs: 100 },
      webhooks: { signaturePublicKey: 'MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=', publicKey: undefined, maxBodyBytes: 4096, maxAgeSeconds: 60 },
      limits: {
        operationDeadlineMs: 8000,
        maxConcurrentUpstream: 4,
        maxLookups: 10,
        maxSubscriptionsPerConnection: 20,
        maxRequestBodyBytes: 4096,
        maxTokens: 500,
        maxDepth: 4,
        maxAliases: 20,
        maxDirectives: 5,
        safelistManifest: '/etc/manifest.json',
      },
      http: {
        port: 8080,
        shutdownGraceMs: 0,
        requestTimeoutMs: 20000,
        headersTimeoutMs: 4000,
        keepAliveTimeoutMs: 65000,
        maxConnections: 500,
        corsAllowedOrigins: ['https://app.example.com'],
      },
      graphql: {
        production: true,
        introspection: true,
        cacheMaxAgeSeconds: 30,
      },
      observability: {
        logLevel: 'debug',
        otelDisabled: true,
        tracesExporters: ['otlp', 'console'],
        otlpEndpoint: 'http://127.0.0.1:4318',
        otlpTracesEndpoint: 'http://127.0.0.1:4318/v1/traces',
        serviceName: 'conversations-eu',
      },
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '' })).toMatchObject({ http: { port: 4000 }, observability: { logLevel: 'info' } });
  });

  it.each([
    ['PORT', 'eighty', 'PORT must be a whole number'],
    ['PORT', '70000', 'PORT must be at most 65535'],
    ['HIGHLEVEL_API_URL', 'ftp://example.com', 'HIGHLEVEL_API_URL must be an http:// or https:// URL'],
    ['HIGHLEVEL_API_URL', 'not a url', 'HIGHLEVEL_API_URL must be an http:// or https:// URL'],
    ['HIGHLEVEL_API_VERSION', '2021 07 28', 'HIGHLEVEL_API_VERSION must be 1-64 printable characters'],
    ['HIGHLEVEL_TIMEOUT_MS', '0', 'HIGHLEVEL_TIMEOUT_MS must be at least 1'],
    ['HIGHLEVEL_TIMEOUT_MS', '-5', 'HIGHLEVEL_TIMEOUT_MS must be a whole number'],
    ['HIGHLEVEL_MAX_ATTEMPTS', '0', 'HIGHLEVEL_MAX_ATTEMPTS must be at least 1'],
    ['HIGHLEVEL_MAX_RESPONSE_BYTES', '10', 'HIGHLEVEL_MAX_RESPONSE_BYTES must be at least 1024'],
    ['CIRCUIT_BREAKER_COOLDOWN_MS', '1.5', 'CIRCUIT_BREAKER_COOLDOWN_MS must be a whole number'],
    ['GRAPHQL_INTROSPECTION', 'yes', 'GRAPHQL_INTROSPECTION must be true or false'],
    ['CORS_ALLOWED_ORIGINS', 'app.example.com', 'CORS_ALLOWED_ORIGINS must be a comma-separated list of origins'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent'],
    ['CIRCUIT_BREAKER_FAILURE_RATIO', '1.5', 'CIRCUIT_BREAKER_FAILURE_RATIO must be a decimal between 0 and 1'],
    ['CIRCUIT_BREAKER_FAILURE_RATIO', '0', 'CIRCUIT_BREAKER_FAILURE_RATIO must be greater than 0'],
    ['CIRCUIT_BREAKER_THRESHOLD', '5', 'CIRCUIT_BREAKER_THRESHOLD (consecutive failures) is replaced by CIRCUIT_BREAKER_FAILURE_RATIO, CIRCUIT_BREAKER_WINDOW_MS, CIRCUIT_BREAKER_MIN_CALLS and CIRCUIT_BREAKER_MIN_TENANTS'],
    ['HTTP_MAX_CONNECTIONS', 'many', 'HTTP_MAX_CONNECTIONS must be auto or a whole number from 1 to 1000000'],
    ['HTTP_REQUEST_TIMEOUT_MS', '500', 'HTTP_REQUEST_TIMEOUT_MS must be at least 1000'],
    ['HTTP_HEADERS_TIMEOUT_MS', '40000', 'HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS'],
    ['REDIS_URL', 'http://localhost:6379', 'REDIS_URL must be a redis:// or rediss:// URL'],
    ['REDIS_URL', 'localhost:6379', 'REDIS_URL must be a redis:// or rediss:// URL'],
    ['REDIS_KEY_PREFIX', 'a{b}:', 'REDIS_KEY_PREFIX must be 1-64 printable characters without spaces or braces'],
    ['CONVERSATION_CACHE_TTL_SECONDS', '-1', 'CONVERSATION_CACHE_TTL_SECONDS must be a whole number'],
    ['CONVERSATION_CACHE_MAX_ENTRIES', '0', 'CONVERSATION_CACHE_MAX_ENTRIES must be at least 1'],
    ['WEBHOOK_SIGNATURE_PUBLIC_KEY', 'c2hvcnQ=', 'WEBHOOK_SIGNATURE_PUBLIC_KEY must be an Ed25519 public key: PEM, or base64 of its 32 raw bytes or of its DER'],
    ['WEBHOOK_PUBLIC_KEY', 'not a key', 'WEBHOOK_PUBLIC_KEY must be an RSA public key in PEM'],
  ])('refuses %s=%j with one line naming the variable', (name, value, expected) => {
    let thrown: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const message = (thrown as Error).message;
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });

  it('sizes HTTP_MAX_CONNECTIONS=auto to the open-file limit, leaving room for everything else', () => {
    const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                ${soft}                files\n`;
    expect(automaticMaxConnections(limits('1048576'))).toBe(10_000);
    expect(automaticMaxConnections(limits('4096'))).toBe(3072);
    expect(automaticMaxConnections(limits('1024'))).toBe(64);
    expect(automaticMaxConnections(limits('unlimited'))).toBe(10_000);
    expect(automaticMaxConnections(undefined)).toBe(10_000);
  });

  it('never echoes the value of an invalid token', () => {
    expect(() => loadConfig({ HIGHLEVEL_API_TOKEN: 'Bearer secret-value-123' })).toThrow(
      /^Invalid configuration: HIGHLEVEL_API_TOKEN must be printable characters without spaces/,
    );
    try {
      loadConfig({ HIGHLEVEL_API_TOKEN: 'Bearer secret-value-123' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret-value-123');
    }
  });

  it('never echoes a REDIS_URL (it carries the password)', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://:hunter2-secret@redis.internal:6379/not-a-db' })).toThrow(
      new ConfigError('Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL, such as redis://localhost:6379/0'),
    );
  });
});
