// GraphQL over WebSocket (graphql-ws, subprotocol graphql-transport-ws, the protocol Apollo Router speaks
// to subgraphs) on the same port and path as queries, /graphql.
//
// Admission, in order: the upgrade's Origin must be in CORS_ALLOWED_ORIGINS when that is set (a page on
// another site must not ride a browser's credentials: cross-site WebSocket hijacking); a draining service
// takes no new connection; after connection_init, the token comes from connectionParams.authorization or
// the upgrade's Authorization header, else the socket is closed with 4401. Each operation is validated
// with the limits queries have (in safelist mode, only listed ones run, by id); MAX_SUBSCRIPTIONS_PER_CONNECTION
// bounds one connection. graphql-ws pings
// every 12 s and drops a peer that does not answer; a subscriber that cannot keep up is closed (4429).
// Drain: every subscription completes, then every socket closes with 1001.
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type GraphQLSchema, NoSchemaIntrospectionCustomRule, parse, specifiedRules, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import { type ContextDependencies, authorizationFor, createRequestContext, type RequestContext } from '../context.js';
import { documentValidationRules, parseOptions } from '../limits/document-limits.js';
import { type Safelist, applySafelist } from '../limits/persisted-operations.js';
import type { ConversationEvents } from './conversation-events.js';

export interface LiveSettings {
  config: Config;
  schema: GraphQLSchema;
  context: ContextDependencies;
  events: ConversationEvents;
  /** PERSISTED_OPERATIONS_SAFELIST: then operations come by id (`extensions.documentId`), as over HTTP. */
  safelist?: Safelist | undefined;
}

export class LiveTransport {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  readonly #closing = new AbortController();
  readonly #disposable: { dispose(): Promise<void> | void };
  readonly #allowedOrigins: readonly string[];

  constructor(private readonly settings: LiveSettings) {
    const { config, schema, context: dependencies, events } = settings;
    // Every open subscription listens for the drain on this one signal.
    setMaxListeners(0, this.#closing.signal);
    this.#allowedOrigins = config.http.corsAllowedOrigins;
    const limits = config.limits;
    const rules = [...specifiedRules, ...documentValidationRules(limits), ...(config.graphql.introspection ? [] : [NoSchemaIntrospectionCustomRule])];
    const perConnection = new WeakMap<object, number>();
    this.#disposable = useServer<Record<string, unknown>, { authorization: string | undefined }>(
      {
        schema,
        connectionInitWaitTimeout: 3000,
        isProd: config.graphql.production,
        onConnect: (ctx) => {
          const offered = ctx.connectionParams?.authorization;
          const authorization = authorizationFor({ authorization: typeof offered === 'string' && offered.trim() !== '' ? offered : ctx.extra.request.headers.authorization }, dependencies.defaultToken);
          if (authorization === undefined) {
            ctx.extra.socket.close(4401, 'Unauthorized: send connectionParams.authorization or an Authorization header');
            return false;
          }
          ctx.extra.authorization = authorization;
          return true;
        },
        onSubscribe: (ctx, _id, payload) => {
          const count = (perConnection.get(ctx) ?? 0) + 1;
          if (count > limits.maxSubscriptionsPerConnection) {
            return [new GraphQLError(`A connection may hold at most ${limits.maxSubscriptionsPerConnection} subscriptions (MAX_SUBSCRIPTIONS_PER_CONNECTION).`, { extensions: { code: 'BAD_USER_INPUT' } })];
          }
          let query = payload.query;
          if (settings.safelist) {
            const extensions = payload.extensions ?? {};
            const outcome = applySafelist(settings.safelist, { documentId: extensions.documentId, extensions });
            if (!outcome.ok) return [new GraphQLError(outcome.message, { extensions: { code: outcome.code } })];
            query = outcome.body.query as string;
          }
          let document: DocumentNode;
          try {
            document = parse(query, parseOptions(limits));
          } catch (error) {
            return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
          }
          const errors = validate(schema, document, rules);
          // Without introspection, "Did you mean ...?" would reveal the schema field by field (as over HTTP).
          const shown = (message: string) => (config.graphql.introspection ? message : message.replace(/ Did you mean .*\?$/, ''));
          if (errors.length > 0) return errors.map((error) => new GraphQLError(shown(error.message), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
          perConnection.set(ctx, count);
          // A context per subscription, as per HTTP request: its own loader, and a fresh deadline for its first reads.
          const socket = ctx.extra.socket;
          const contextValue: RequestContext = {
            ...createRequestContext(dependencies, { authorization: ctx.extra.authorization }, { requestId: randomUUID() }),
            live: { events, maxLookups: limits.maxLookups, closing: this.#closing.signal, tooSlow: () => socket.close(4429, 'Too slow: changes were waiting beyond the bound') },
          };
          const args: ExecutionArgs = { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue };
          return args;
        },
        onComplete: (ctx) => {
          perConnection.set(ctx, Math.max(0, (perConnection.get(ctx) ?? 1) - 1));
        },
      },
      this.#wss,
    );
  }

  /** For the HTTP server's 'upgrade' event on /graphql. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, draining: boolean): void {
    const origin = req.headers.origin;
    if (draining) return refuse(socket, 503, 'Service Unavailable');
    if (this.#allowedOrigins.length > 0 && origin !== undefined && !this.#allowedOrigins.includes(origin)) return refuse(socket, 403, 'Forbidden');
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req));
  }

  /**
   * Every subscription completes, then every socket closes with 1001 (Going away); a peer that has not
   * finished the closing handshake within a second is cut.
   */
  async drain(): Promise<void> {
    this.#closing.abort();
    // Give the completes a moment to be written before the sockets close.
    await new Promise((resolve) => setTimeout(resolve, 50).unref());
    const sockets = [...this.#wss.clients];
    let timer: NodeJS.Timeout | undefined;
    const second = new Promise((resolve) => (timer = setTimeout(resolve, 1000).unref()));
    await Promise.race([Promise.resolve(this.#disposable.dispose()), second]);
    clearTimeout(timer);
    for (const socket of sockets) socket.terminate();
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
