// The HTTP front: Node's own http server, routing four paths, with Apollo Server behind /graphql.
//
// No web framework: the service has four routes, and Apollo's executeHTTPGraphQLRequest does the
// GraphQL-over-HTTP work. What is left here: CORS, reading the body with a size bound, safelist mode,
// health endpoints and an orderly drain on stop (connections.ts bounds the connections themselves).
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import cors from 'cors';
import { createApolloServer } from './apollo.js';
import type { Config } from './config.js';
import { ClientConnections } from './connections.js';
import { createRequestContext, requestIdFor } from './context.js';
import { graphqlErrorBody, readJsonBody, sendJson } from './http.js';
import { IDE_ASSET_PREFIX, sendIdeAsset, sendIdePage, wantsIdePage } from './ide.js';
import { type Safelist, type SafelistOutcome, applySafelist, loadSafelist } from './limits/persisted-operations.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { upstreamEventHandler } from './observability/upstream-events.js';
import { type Tracing, startOperationSpan, upstreamTracer } from './observability/tracing.js';
import { RedisConnection } from './redis/connection.js';
import { HighLevelClient } from './upstream/client.js';
import { WebhookEndpoint } from './webhooks/endpoint.js';
import { ConversationEvents } from './live/conversation-events.js';
import { LiveTransport } from './live/websocket.js';
import { createSchema } from './schema.js';
import { isObject } from './json.js';

/** Request headers a browser may send cross-origin (CORS preflight). */
const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-request-id',
  'traceparent',
];

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Listen address; loopback in tests, all interfaces in production. */
  host?: string;
  /** OpenTelemetry tracing, when on (see observability/tracing.ts). */
  tracing?: Tracing | undefined;
}

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  graphqlUrl: string;
  port: number;
  /** Drains (see below), then closes upstream sockets. Resolves within `shutdownGraceMs` and a moment. */
  stop(): Promise<void>;
}

export async function startService({ config, logger, host, tracing }: ServiceOptions): Promise<RunningService> {
  const metrics = new Metrics();
  const { http: front, limits } = config;
  const safelist: Safelist | undefined = limits.safelistManifest ? loadSafelist(limits.safelistManifest) : undefined;
  // CORS is off unless origins are listed: then those origins, and only those, may call from a browser.
  const corsHandler =
    front.corsAllowedOrigins.length > 0
      ? cors({ origin: front.corsAllowedOrigins, methods: ['GET', 'POST'], allowedHeaders: CORS_ALLOWED_HEADERS, maxAge: 600 })
      : undefined;
  const redis = config.redis.url ? await openRedis({ ...config.redis, url: config.redis.url }, logger, metrics) : undefined;
  const client = new HighLevelClient(
    { ...config.upstream, breaker: config.breaker, cache: config.cache },
    { observer: upstreamEventHandler(logger, metrics), tracer: tracing ? upstreamTracer(tracing.tracer) : undefined, redis },
  );
  metrics.setBreakerState('closed');
  const events = new ConversationEvents(redis);
  await events.start();
  const webhooks = WebhookEndpoint.create(config.webhooks, { client, events }, logger, metrics, redis);
  let lastRefusalLogged = 0;
  const connections = new ClientConnections(front, {
    onRefused: () => {
      metrics.observeConnectionRefused();
      // One line a minute at most: a flood of refusals must not become a flood of log lines.
      if (Date.now() - lastRefusalLogged < 60_000) return;
      lastRefusalLogged = Date.now();
      logger.warn({ maxConnections: front.maxConnections }, 'refusing connections: HTTP_MAX_CONNECTIONS are open');
    },
  });
  metrics.watchConnections(() => connections.open);
  const httpServer = connections.server;
  const schema = createSchema();
  const apollo = createApolloServer(config.graphql, limits, logger, metrics, schema);
  await apollo.start();

  const contextDependencies = {
    client,
    logger,
    defaultToken: config.upstream.token,
    operationDeadlineMs: limits.operationDeadlineMs,
    maxConcurrentUpstream: limits.maxConcurrentUpstream,
    metrics,
  };

  const live = new LiveTransport({ config, schema, context: contextDependencies, events, safelist });
  httpServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node leaves an upgraded socket without an error listener: a reset would otherwise crash the process.
    socket.on('error', () => socket.destroy());
    if ((req.url ?? '/').split('?', 1)[0] === '/graphql') live.upgrade(req, socket, head, connections.draining);
    else socket.destroy();
  });

  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request handling failed');
      if (!res.headersSent) sendJson(res, 500, graphqlErrorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else res.destroy();
    });
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { pathname, search } = new URL(req.url ?? '/', 'http://service.invalid');
    if (config.graphql.introspection && pathname.startsWith(IDE_ASSET_PREFIX) && isRead(req) && (await sendIdeAsset(res, pathname))) return;
    if (pathname === '/graphql') {
      if (corsHandler && (await applyCors(corsHandler, req, res))) return;
      // The IDE needs introspection, so it is served exactly when introspection is on.
      if (config.graphql.introspection && wantsIdePage(req, search)) return sendIdePage(res);
      if (connections.draining) {
        // Draining: new work goes to another instance; the client should not reuse this connection.
        res.setHeader('connection', 'close');
        return sendJson(res, 503, graphqlErrorBody('The service is shutting down; retry on another instance.', 'SHUTTING_DOWN'));
      }
      return serveGraphQL(req, res, search);
    }
    if (pathname === '/webhooks/highlevel' && webhooks) return webhooks.handle(req, res);
    if (pathname === '/healthz' && isRead(req)) return sendJson(res, 200, { status: 'ok' });
    if (pathname === '/metrics' && isRead(req)) {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (pathname === '/readyz' && isRead(req)) {
      if (connections.draining) return sendJson(res, 503, { status: 'stopping' });
      // Without Redis the service still answers (each instance on its own budget): ready, but degraded.
      if (redis && !redis.available) return sendJson(res, 200, { status: 'degraded', redis: 'unavailable' });
      return sendJson(res, 200, { status: 'ready' });
    }
    sendJson(res, 404, { error: `Not found: ${req.method} ${pathname}. GraphQL is served at /graphql.` });
  }

  async function serveGraphQL(req: http.IncomingMessage, res: http.ServerResponse, query: string): Promise<void> {
    let search = query;
    const body = await readJsonBody(req, limits.maxRequestBodyBytes);
    if (!body.ok) {
      // The rest of an oversized body was not read: the connection cannot carry another request.
      if (body.status === 413) res.setHeader('connection', 'close');
      return sendJson(res, body.status, graphqlErrorBody(body.message, body.code));
    }
    if (safelist) {
      const allowed = safelisted(safelist, req.method ?? 'GET', body.value, search);
      if (!allowed.ok) return sendJson(res, 400, graphqlErrorBody(allowed.message, allowed.code));
      body.value = allowed.body;
      search = allowed.search;
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method ?? 'GET', headers, search, body: body.value };
    const requestId = requestIdFor(req.headers);
    res.setHeader('x-request-id', requestId);
    const trace = tracing ? startOperationSpan(tracing.tracer, req.headers) : undefined;
    try {
      const context = createRequestContext(contextDependencies, req.headers, { requestId, trace });
      const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: async () => context });
      for (const [name, value] of response.headers) res.setHeader(name, value);
      // Apollo sets Cache-Control for operations it ran; anything else it answered must not be cached either.
      if (!res.hasHeader('cache-control')) res.setHeader('cache-control', 'no-store');
      res.statusCode = response.status ?? 200;
      trace?.span.setAttribute('http.response.status_code', res.statusCode);
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } finally {
      trace?.span.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(front.port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port, address, family } = httpServer.address() as AddressInfo;
  const printable = family === 'IPv6' ? (address === '::' ? 'localhost' : `[${address}]`) : address === '0.0.0.0' ? 'localhost' : address;
  const url = `http://${printable}:${port}`;

  return {
    url,
    graphqlUrl: `${url}/graphql`,
    port,
    /**
     * Drains: idle connections are closed at once; /readyz answers 503 and new GraphQL requests are
     * refused with 503 while the port stays open (so probes and load balancers see "not ready" rather
     * than connection errors); requests in flight get up to `shutdownGraceMs` to finish (an answer
     * counts as finished once it has left completely); then every connection is destroyed.
     */
    async stop() {
      if (connections.draining) return;
      // Subscriptions complete and their sockets close (1001) while the HTTP connections drain.
      await Promise.all([live.drain(), connections.drain(front.shutdownGraceMs)]);
      await events.close();
      await apollo.stop();
      await client.close();
      await redis?.close();
    },
  };
}

/** The Redis connection, its health in the log (one line per change) and in redis_up / redis_errors_total. */
function openRedis(settings: Config['redis'] & { url: string }, logger: Logger, metrics: Metrics): Promise<RedisConnection> {
  metrics.setRedisUp(false);
  return RedisConnection.open(settings, {
    onError: () => metrics.observeRedisError(),
    onHealth: (up, reason) => {
      metrics.setRedisUp(up);
      if (up) logger.info('Redis available: budgets and the conversation cache are shared between instances');
      else logger.warn({ reason }, 'Redis unavailable: each instance paces on its own budget and the conversation cache is bypassed until it answers again');
    },
  });
}

function isRead(req: http.IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

/**
 * Runs the `cors` middleware; true when it answered the request itself (a preflight). Requests from
 * origins not on the list get no CORS headers, so browsers refuse them the answer.
 */
function applyCors(
  handler: ReturnType<typeof cors>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    handler(req as never, res as never, (error?: unknown) => (error ? reject(error) : resolve(false)));
    // A preflight is answered (204) without calling next().
    if (res.writableEnded) resolve(true);
  });
}

type SafelistedRequest = { ok: true; body: unknown; search: string } | Extract<SafelistOutcome, { ok: false }>;

/** Safelist mode for POST bodies and for GET query parameters alike. */
function safelisted(safelist: Safelist, method: string, body: unknown, search: string): SafelistedRequest {
  if (method === 'POST') {
    const outcome = applySafelist(safelist, isObject(body) ? body : {});
    return outcome.ok ? { ok: true, body: outcome.body, search } : outcome;
  }
  const params = new URLSearchParams(search);
  const fromQuery: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (name === 'extensions' || name === 'variables') {
      try {
        fromQuery[name] = JSON.parse(value);
      } catch {
        fromQuery[name] = value;
      }
    } else {
      fromQuery[name] = value;
    }
  }
  const outcome = applySafelist(safelist, fromQuery);
  if (!outcome.ok) return outcome;
  const rebuilt = new URLSearchParams();
  for (const [name, value] of Object.entries(outcome.body)) {
    if (value === undefined) continue;
    rebuilt.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return { ok: true, body, search: `?${rebuilt.toString()}` };
}
