// OpenTelemetry tracing, off unless OpenTelemetry's own environment variables ask for it.
//
// On when OTEL_TRACES_EXPORTER names an exporter (otlp, console) or an OTLP endpoint is set
// (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and OTEL_SDK_DISABLED is not
// true. The exporter reads its other OTEL_EXPORTER_OTLP_* settings itself. Spans: one per GraphQL
// operation (a child of the caller's W3C `traceparent`, when it sends one) and one per upstream call,
// whose `traceparent` is sent to HighLevel.
import { type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { SERVICE_NAME, SERVICE_VERSION } from '../service-info.js';
import type { UpstreamTracer } from '../upstream/events.js';
import type { Config } from '../config.js';
import type { ResponseHeaders as HeaderRecord } from '../upstream/transport.js';

export interface Tracing {
  tracer: Tracer;
  /** Flushes and stops exporting (on shutdown). */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
type Carrier = HeaderRecord;
const getter = {
  keys: (carrier: Carrier) => Object.keys(carrier),
  get: (carrier: Carrier, key: string) => carrier[key.toLowerCase()],
};
const setter = {
  set: (carrier: Record<string, string>, key: string, value: string) => {
    carrier[key] = value;
  },
};

/** Tracing as the configuration's OTEL_* settings ask for it, or undefined when they do not. */
export function tracingFromConfig(config: Config['observability']): Tracing | undefined {
  if (config.otelDisabled) return undefined;
  const exporters = config.tracesExporters;
  const endpoint = config.otlpTracesEndpoint ?? config.otlpEndpoint;
  if (exporters.includes('none') || (exporters.length === 0 && !endpoint)) return undefined;
  const chosen: SpanExporter[] = [];
  if (exporters.length === 0 || exporters.includes('otlp')) chosen.push(new OTLPTraceExporter());
  if (exporters.includes('console')) chosen.push(new ConsoleSpanExporter());
  return createTracing(
    chosen.map((exporter) => new BatchSpanProcessor(exporter)),
    config.serviceName,
  );
}

/** Tracing with the given span processors (tests pass an in-memory exporter's). */
export function createTracing(spanProcessors: SpanProcessor[], serviceName: string = SERVICE_NAME): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName, 'service.version': SERVICE_VERSION }),
    spanProcessors,
  });
  return { tracer: provider.getTracer(SERVICE_NAME, SERVICE_VERSION), shutdown: () => provider.shutdown() };
}

/** Starts the span of one GraphQL operation, continuing the caller's trace when it sent `traceparent`. */
export function startOperationSpan(tracer: Tracer, headers: Carrier): { span: Span; context: Context } {
  const parent = propagator.extract(ROOT_CONTEXT, headers, getter);
  const span = tracer.startSpan('graphql.operation', { kind: SpanKind.SERVER }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** The upstream pipeline's tracer: one client span per call, whose `traceparent` is sent upstream. */
export function upstreamTracer(tracer: Tracer): UpstreamTracer {
  return {
    startCall(conversationId, parent) {
      const { span, headers } = startUpstreamSpan(tracer, parent, conversationId);
      return { headers, end: (outcome) => endSpan(span, outcome) };
    },
  };
}

function startUpstreamSpan(tracer: Tracer, parent: Context, conversationId: string): { span: Span; headers: Record<string, string> } {
  const span = tracer.startSpan(
    'GET /conversations/{conversationId}',
    { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET', 'url.template': '/conversations/{conversationId}', 'highlevel.conversation_id': conversationId } },
    parent,
  );
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpan(parent, span), headers, setter);
  return { span, headers };
}

function endSpan(span: Span, outcome: { status?: number; errorCode?: string }): void {
  if (outcome.status !== undefined) span.setAttribute('http.response.status_code', outcome.status);
  if (outcome.errorCode) {
    span.setAttribute('graphql.error.code', outcome.errorCode);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorCode });
  }
  span.end();
}

