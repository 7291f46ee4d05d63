// The HTTP front: Node's own http server, routing three paths, with Apollo Server behind /graphql.
//
// No web framework: the service has three routes, and Apollo's executeHTTPGraphQLRequest does the
// GraphQL-over-HTTP work. What is left for us is reading the body with a size bound, JSON parsing with
// a clear 400, health endpoints and an orderly stop.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import type { Config } from './config.js';
import { type RequestContext, createRequestContext } from './context.js';
import { ConversationServiceError } from './errors.js';
import type { Logger } from './logger.js';
import { operationLogPlugin } from './operation-log.js';
import { createSchema } from './schema.js';
import { HighLevelClient, type UpstreamEvent } from './upstream/client.js';

/** Largest request body accepted; GraphQL documents for this schema are a few KiB at most. */
export const MAX_BODY_BYTES = 100 * 1024;

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  /** Listen address; loopback in tests, all interfaces in production. */
  host?: string;
}

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:4000 */
  url: string;
  graphqlUrl: string;
  port: number;
  /** Stops accepting, lets in-flight operations finish (Apollo's drain), closes upstream sockets. */
  stop(): Promise<void>;
}

export async function startService({ config, logger, host }: ServiceOptions): Promise<RunningService> {
  const client = new HighLevelClient(
    {
      baseUrl: config.highLevelApiUrl,
      apiVersion: config.highLevelApiVersion,
      timeoutMs: config.highLevelTimeoutMs,
      maxAttempts: config.highLevelMaxAttempts,
      retryBaseDelayMs: config.highLevelRetryBaseDelayMs,
      burstLimit: config.highLevelBurstLimit,
      burstIntervalMs: config.highLevelBurstIntervalMs,
      maxResponseBytes: config.highLevelMaxResponseBytes,
      circuitBreakerThreshold: config.circuitBreakerThreshold,
      circuitBreakerCooldownMs: config.circuitBreakerCooldownMs,
    },
    (event) => logUpstreamEvent(logger, event),
  );
  const httpServer = http.createServer();
  const apollo = new ApolloServer<RequestContext>({
    schema: createSchema(),
    csrfPrevention: true,
    logger,
    // main.ts owns SIGTERM/SIGINT: it flips /readyz, drains and exits 0. Apollo's own handler would
    // stop the server behind our back and re-raise the signal.
    stopOnTerminationSignals: false,
    formatError: withoutStackForExpectedErrors,
    plugins: [operationLogPlugin()],
  });
  await apollo.start();

  let stopping = false;
  /** GraphQL requests being served; the drain on stop waits for them. */
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const contextDependencies = {
    client,
    logger,
    defaultToken: config.highLevelApiToken,
    operationDeadlineMs: config.operationDeadlineMs,
    maxConcurrentUpstream: config.maxConcurrentUpstreamPerOperation,
  };

  httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    route(req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'request handling failed');
      if (!res.headersSent) sendJson(res, 500, graphqlErrorBody('Internal server error', 'INTERNAL_SERVER_ERROR'));
      else res.destroy();
    });
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { pathname, search } = new URL(req.url ?? '/', 'http://service.invalid');
    if (pathname === '/graphql') {
      if (stopping) {
        // Draining: new work goes to another instance; the client should not reuse this connection.
        res.setHeader('connection', 'close');
        return sendJson(res, 503, graphqlErrorBody('The service is shutting down; retry on another instance.', 'SHUTTING_DOWN'));
      }
      inFlight += 1;
      try {
        return await serveGraphQL(req, res, search);
      } finally {
        inFlight -= 1;
        if (inFlight === 0) drained?.();
      }
    }
    if (pathname === '/healthz' && isRead(req)) return sendJson(res, 200, { status: 'ok' });
    if (pathname === '/readyz' && isRead(req)) {
      return stopping ? sendJson(res, 503, { status: 'stopping' }) : sendJson(res, 200, { status: 'ready' });
    }
    sendJson(res, 404, { error: `Not found: ${req.method} ${pathname}. GraphQL is served at /graphql.` });
  }

  async function serveGraphQL(req: http.IncomingMessage, res: http.ServerResponse, search: string): Promise<void> {
    const body = await readJsonBody(req);
    if (!body.ok) {
      if (body.status === 413) res.setHeader('connection', 'close');
      return sendJson(res, body.status, graphqlErrorBody(body.message, body.code));
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const httpGraphQLRequest: HTTPGraphQLRequest = { method: req.method ?? 'GET', headers, search, body: body.value };
    const context = createRequestContext(contextDependencies, req.headers);
    res.setHeader('x-request-id', context.requestId);
    const response = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest, context: async () => context });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, host, () => {
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
     * Drains: /readyz answers 503 and new GraphQL requests are refused with 503 while the port stays open
     * (so probes and load balancers see "not ready" rather than connection errors); in-flight
     * operations get up to `shutdownGraceMs` to finish; then every connection is closed.
     */
    async stop() {
      if (stopping) return;
      stopping = true;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, config.shutdownGraceMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
      await apollo.stop();
      client.close();
    },
  };
}

/**
 * Outside production Apollo attaches a stack trace to every error. For the errors this service raises on
 * purpose (a 404 upstream, a bad id) the stack says nothing a client can use, so it is dropped; bugs keep it.
 */
function withoutStackForExpectedErrors(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (!(unwrapResolverError(error) instanceof ConversationServiceError) || !formatted.extensions?.stacktrace) {
    return formatted;
  }
  const { stacktrace: _stacktrace, ...extensions } = formatted.extensions;
  return { ...formatted, extensions };
}

function logUpstreamEvent(logger: Logger, event: UpstreamEvent): void {
  switch (event.kind) {
    case 'failure':
      logger.warn(
        { conversationId: event.conversationId, status: event.status, code: event.error?.extensions.code, durationMs: Math.round(event.durationMs) },
        `upstream request failed: ${event.error?.message ?? 'unknown error'}`,
      );
      return;
    case 'retry':
      logger.info({ conversationId: event.conversationId, attempt: event.attempt, reason: event.reason }, 'retrying upstream request');
      return;
    case 'breaker':
      logger.warn({ state: event.state }, `circuit breaker ${event.state}`);
      return;
    case 'response':
      return;
  }
}

function isRead(req: http.IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

type BodyResult =
  | { ok: true; value: unknown }
  | { ok: false; status: 400 | 413 | 415; code: string; message: string };

/**
 * Reads a JSON request body, bounded by MAX_BODY_BYTES. Bodies that are not JSON are left to Apollo,
 * which answers them with its own 400 (and CSRF prevention) rules.
 */
async function readJsonBody(req: http.IncomingMessage): Promise<BodyResult> {
  if (req.method !== 'POST') return { ok: true, value: undefined };
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim());
  if (mediaType !== 'application/json') return { ok: true, value: undefined };
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return { ok: false, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: `Unsupported charset "${charset}": send UTF-8 JSON.` };
  }
  const tooLarge = { ok: false, status: 413, code: 'PAYLOAD_TOO_LARGE', message: `Request body exceeds ${MAX_BODY_BYTES} bytes.` } as const;
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return tooLarge;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return tooLarge;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'Request body is not valid JSON.' };
  }
}

function graphqlErrorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
