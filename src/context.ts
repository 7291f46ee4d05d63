// What every resolver receives: the request's own loader (with the request's credentials) and logger.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ConversationLoader } from './loaders.js';
import type { Logger } from './observability/logger.js';
import type { Context, Span } from '@opentelemetry/api';
import type { Metrics } from './observability/metrics.js';
import type { HighLevelClient } from './upstream/client.js';
import type { ConversationEvents } from './live/conversation-events.js';

export interface RequestContext {
  /** Loads conversations with this request's credentials; never shared with another request. */
  conversations: ConversationLoader;
  /** Child logger carrying this request's id. */
  logger: Logger;
  requestId: string;
  /** The operation's span, when tracing is on. */
  span?: Span | undefined;
  /** Subscriptions only (GraphQL over WebSocket): where changes come from, and this connection's limits. */
  live?: LiveContext | undefined;
}

/** What a subscription needs beyond a query's context (src/live/). */
export interface LiveContext {
  events: ConversationEvents;
  /** MAX_LOOKUPS_PER_OPERATION: ids one subscription may name. */
  maxLookups: number;
  /** Aborted when the service drains: subscriptions complete. */
  closing: AbortSignal;
  /** The subscriber did not keep up with its changes: its connection is closed. */
  tooSlow(): void;
}

export interface ContextDependencies {
  client: Pick<HighLevelClient, 'forCaller'>;
  logger: Logger;
  /** HIGHLEVEL_API_TOKEN: used only when the request brings no Authorization header. */
  defaultToken: string | undefined;
  /** OPERATION_DEADLINE_MS: how long one operation may spend on upstream calls. */
  operationDeadlineMs: number;
  /** MAX_CONCURRENT_UPSTREAM_PER_OPERATION. */
  maxConcurrentUpstream: number;
  metrics?: Metrics;
}

/** What the HTTP front knows about the request before the context exists. */
export interface RequestInfo {
  requestId: string;
  /** The operation's span and its trace context, when tracing is on. */
  trace?: { span: Span; context: Context } | undefined;
}

// A request id from the caller is kept when it is short and printable, so logs can be joined across
// services; anything else is replaced, so a header cannot forge or break log lines.
const USABLE_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** The caller's request id when it sent a usable one, else a new one. */
export function requestIdFor(headers: IncomingHttpHeaders): string {
  const offered = headers['x-request-id'];
  return typeof offered === 'string' && USABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
}

export function createRequestContext(deps: ContextDependencies, headers: IncomingHttpHeaders, info: RequestInfo): RequestContext {
  const { requestId } = info;
  const metrics = deps.metrics;
  const authorization = authorizationFor(headers, deps.defaultToken);
  return {
    conversations: new ConversationLoader(authorization === undefined ? undefined : deps.client.forCaller(authorization), {
      deadline: Date.now() + deps.operationDeadlineMs,
      maxConcurrent: deps.maxConcurrentUpstream,
      requestId,
      traceContext: info.trace?.context,
      ...(metrics ? { onBatch: (size: number) => metrics.observeBatch(size) } : {}),
    }),
    logger: deps.logger.child({ requestId }),
    requestId,
    span: info.trace?.span,
  };
}

/**
 * The caller's `Authorization` header, forwarded as is; when absent or blank, the configured token as
 * a bearer token; when neither, undefined.
 */
export function authorizationFor(headers: Pick<IncomingHttpHeaders, 'authorization'>, defaultToken: string | undefined): string | undefined {
  const given = headers.authorization?.trim();
  if (given) return given;
  return defaultToken ? `Bearer ${defaultToken}` : undefined;
}
