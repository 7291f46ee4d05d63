// Integration tier: operability: Prometheus metrics, JSON logs with request ids, OpenTelemetry traces reaching the
// sandbox, and Cache-Control headers that keep one caller's data out of shared caches.
import { describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../src/config.js';
import { createTracing, tracingFromConfig } from '../src/observability/tracing.js';
import { SANDBOX_CONVERSATIONS, SANDBOX_IDS } from '../sandbox/data.js';
import { LOCATION_A, type Stack, stackPerTest } from './support/stack.js';

// A fresh stack per test, stopped after it.
const start = stackPerTest();

/** The value of one sample of the Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',');
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  it('counts successes, a 404 and a 429 with the right labels, and no label carries a token or an id', async () => {
    const { graphql, service, sandbox } = await start();
    await graphql(`query Good { conversation(id: "${SANDBOX_IDS.phone}") { id } }`);
    await graphql(`query Good { conversation(id: "${SANDBOX_IDS.email}") { id } }`);
    await graphql(`query Gone { conversation(id: "${SANDBOX_IDS.missing}") { id } }`);
    await graphql(`query Mixed { a: conversation(id: "${SANDBOX_IDS.phone}") { id } b: conversation(id: "${SANDBOX_IDS.missing}") { id } }`);
    sandbox.setFault(SANDBOX_IDS.facebook, { kind: 'status', status: 429, headers: { 'Retry-After': '1' } }, { times: 1 });
    await graphql(`query Limited { conversation(id: "${SANDBOX_IDS.facebook}") { id } }`);

    const response = await fetch(`${service.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();

    expect(sample(text, 'graphql_operations_total', { operation: 'Good', outcome: 'success' })).toBe(2);
    expect(sample(text, 'graphql_operations_total', { operation: 'Gone', outcome: 'error' })).toBe(1);
    expect(sample(text, 'graphql_operations_total', { operation: 'Mixed', outcome: 'partial' })).toBe(1);
    expect(sample(text, 'graphql_operations_total', { operation: 'Limited', outcome: 'success' })).toBe(1);
    expect(sample(text, 'graphql_operation_duration_seconds_count', { operation: 'Good', outcome: 'success' })).toBe(2);
    expect(sample(text, 'graphql_errors_total', { code: 'NOT_FOUND' })).toBe(2);
    expect(sample(text, 'highlevel_requests_total', { status: '200' })).toBe(4);
    expect(sample(text, 'highlevel_requests_total', { status: '404' })).toBe(2);
    expect(sample(text, 'highlevel_requests_total', { status: '429' })).toBe(1);
    expect(sample(text, 'highlevel_request_duration_seconds_count', { status: '429' })).toBe(1);
    expect(sample(text, 'highlevel_retries_total', { reason: '429' })).toBe(1);
    expect(sample(text, 'conversation_loader_batch_size_count')).toBe(5);
    expect(sample(text, 'conversation_loader_batch_size_sum')).toBe(6);
    expect(sample(text, 'highlevel_circuit_breaker_state')).toBe(0);
    // The sandbox counts 100 per 10 s per token and every answer says how many are left.
    expect(sample(text, 'highlevel_ratelimit_remaining_min')).toBeLessThanOrEqual(100 - 4);
    expect(sample(text, 'highlevel_ratelimit_daily_remaining_min')).toBeGreaterThan(0);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    expect(text).not.toContain(LOCATION_A.token);
    for (const { body } of SANDBOX_CONVERSATIONS) expect(text).not.toContain(body.id);
  });

  it('keeps operation names bounded: malformed names are not labels', async () => {
    const { graphql, service } = await start();
    await graphql('{ __typename }');
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(sample(text, 'graphql_operations_total', { operation: 'anonymous', outcome: 'success' })).toBe(1);
  });

  it('shows the circuit breaker opening', async () => {
    const { graphql, service } = await start({ config: { breaker: { minCalls: 1, minTenants: 1 }, upstream: { maxAttempts: 1 } } });
    await graphql(`{ conversation(id: "fault-500") { id } }`);
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(sample(text, 'highlevel_circuit_breaker_state')).toBe(2);
  });
});

describe('logs', () => {
  it('writes JSON lines that carry the request id that was sent, and it reaches HighLevel too', async () => {
    const { graphql, logs, sandbox } = await start();
    await graphql(`query Inbox { a: conversation(id: "${SANDBOX_IDS.phone}") { id } b: conversation(id: "${SANDBOX_IDS.missing}") { id } }`, {
      headers: { 'x-request-id': 'req-logs-42' },
    });
    const lines = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const mine = lines.filter((line) => line.requestId === 'req-logs-42');
    expect(mine.map((line) => line.msg)).toEqual(['upstream request failed: Conversation "zDZOtTSg6kSGPqiVglSp" was not found', 'graphql operation']);
    expect(mine[0]).toMatchObject({ level: 40, conversationId: SANDBOX_IDS.missing, status: 404, code: 'NOT_FOUND' });
    expect(mine[1]).toMatchObject({ level: 30, operationName: 'Inbox', upstreamCalls: 2, outcome: 'partial', errorCodes: ['NOT_FOUND'] });
    expect(new Set(sandbox.requests.map((request) => request.headers['x-request-id']))).toEqual(new Set(['req-logs-42']));
    expect(logs.join('\n')).not.toContain(LOCATION_A.token);
  });
});

describe('tracing', () => {
  it('makes one span per operation and per upstream call, parented correctly, and sends its traceparent upstream', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing([new SimpleSpanProcessor(exporter)]);
    const { graphql, sandbox } = await start({ tracing });
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    await graphql(`query Pair { a: conversation(id: "${SANDBOX_IDS.phone}") { id } b: conversation(id: "${SANDBOX_IDS.email}") { id } }`, {
      headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` },
    });
    // Read before shutting down: the in-memory exporter forgets its spans on shutdown.
    const spans = exporter.getFinishedSpans();
    await tracing.shutdown();
    const operation = spans.find((span) => span.name === 'graphql.operation Pair');
    expect(operation).toBeDefined();
    expect(operation?.spanContext().traceId).toBe(callerTrace);
    expect(operation?.parentSpanContext?.spanId).toBe(callerSpan);
    expect(operation?.attributes['highlevel.upstream_calls']).toBe(2);

    const upstream = spans.filter((span) => span.name === 'GET /conversations/{conversationId}');
    expect(upstream).toHaveLength(2);
    for (const span of upstream) {
      expect(span.spanContext().traceId).toBe(callerTrace);
      expect(span.parentSpanContext?.spanId).toBe(operation?.spanContext().spanId);
      expect(span.attributes['http.response.status_code']).toBe(200);
    }
    // What reached the sandbox: each call's traceparent names its own upstream span, in this trace.
    const received = sandbox.requests.map((request) => String(request.headers.traceparent));
    expect(received).toHaveLength(2);
    expect(new Set(received)).toEqual(new Set(upstream.map((span) => `00-${callerTrace}-${span.spanContext().spanId}-01`)));
  });

  it('sends no traceparent when tracing is off', async () => {
    const { graphql, sandbox } = await start();
    await graphql(`{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`, { headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } });
    expect(sandbox.requests[0]?.headers.traceparent).toBeUndefined();
  });
});

describe('Cache-Control', () => {
  const ask = (current: Stack, id: string) =>
    current.graphql(`{ conversation(id: "${id}") { id unreadCount } }`).then((answer) => answer.headers.get('cache-control'));

  it('is no-store by default, for answers and errors alike', async () => {
    const current = await start();
    expect(await ask(current, SANDBOX_IDS.phone)).toBe('no-store');
    expect(await ask(current, SANDBOX_IDS.missing)).toBe('no-store');
    const malformed = await current.graphql('{ nope }');
    expect(malformed.headers.get('cache-control')).toBe('no-store');
  });

  it('is private, never public, when CACHE_MAX_AGE_SECONDS allows caching', async () => {
    const current = await start({ config: { graphql: { cacheMaxAgeSeconds: 60 } } });
    expect(await ask(current, SANDBOX_IDS.phone)).toBe('max-age=60, private');
    const list = await current.graphql(`{ conversations(ids: ["${SANDBOX_IDS.phone}", "${SANDBOX_IDS.email}"]) { id contact { id } } }`);
    expect(list.headers.get('cache-control')).toBe('max-age=60, private');
    const entities = await current.graphql(
      `{ _entities(representations: [{ __typename: "Conversation", id: "${SANDBOX_IDS.phone}" }]) { ... on Conversation { id } } }`,
    );
    expect(entities.headers.get('cache-control')).toBe('max-age=60, private');
    expect(await ask(current, SANDBOX_IDS.missing)).toBe('no-store');
  });
});

describe('tracing configuration', () => {
  it.each([
    ['nothing set', {}, false],
    ['an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, true],
    ['a traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }, true],
    ['the console exporter', { OTEL_TRACES_EXPORTER: 'console' }, true],
    ['exporter none', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, false],
    ['the SDK disabled', { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'console' }, false],
  ])('with %s: on is %s', async (_label, env, on) => {
    const tracing = tracingFromConfig(loadConfig(env).observability);
    expect(tracing !== undefined).toBe(on);
    await tracing?.shutdown();
  });
});
