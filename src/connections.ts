// Client connections of the HTTP front: every one bounded in time, their number capped, and a shutdown
// that ends whatever clients do.
//
// Node's http server bounds a request's headers and body (headersTimeout, requestTimeout) and idle
// keep-alive connections (keepAliveTimeout), but not a connection that never sends a byte, nor one whose
// request is half sent when the server stops: server.close() waits for those for ever. So every socket
// is tracked here from accept to close, a socket's inactivity timer starts on accept, and a timed-out
// socket is destroyed unless it has a request in flight (in-flight work is bounded by the operation
// deadline, and by the shutdown grace). None of the well-known libraries for this (stoppable,
// http-terminator) covers sockets that never sent a request, so this is written here.
import http from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Whole request, body included (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** A request's headers; also how long a new connection may stay silent. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection. */
  keepAliveTimeoutMs: number;
  /** Open connections at most; a further one is closed as it arrives. */
  maxConnections: number;
}

export interface ConnectionEvents {
  /** A connection was closed on arrival because `maxConnections` were open. */
  onRefused?: () => void;
}

/** The node:http server with the limits applied, and what its connections are doing. */
export class ClientConnections {
  readonly server: http.Server;
  /** Open sockets, each with its requests in flight (0: idle). */
  readonly #sockets = new Map<Socket, number>();
  #draining = false;
  #drained: (() => void) | undefined;

  constructor(limits: ConnectionLimits, events: ConnectionEvents = {}) {
    this.server = http.createServer({
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above; its default (30 s) would let a timeout run late by that much.
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      // TCP keep-alive: a peer that vanished (cable, NAT, crashed host) is noticed even while a request waits.
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
    });
    this.server.maxConnections = limits.maxConnections;
    this.server.on('drop', () => events.onRefused?.());
    this.server.on('connection', (socket: Socket) => {
      this.#sockets.set(socket, 0);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#checkDrained();
      });
      // Until the first request arrives; Node replaces it with keepAliveTimeout after each answer.
      socket.setTimeout(limits.headersTimeoutMs);
    });
    // With a listener here Node no longer destroys timed-out sockets itself: idle ones go, busy ones stay.
    this.server.on('timeout', (socket: Socket) => {
      if (!this.#sockets.get(socket)) socket.destroy();
    });
    // A socket upgraded to WebSocket belongs to the live transport (src/live/), which drains it itself.
    this.server.on('upgrade', (req: http.IncomingMessage) => this.#sockets.delete(req.socket));
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      this.#sockets.set(socket, (this.#sockets.get(socket) ?? 0) + 1);
      // While draining, no connection is kept for another request.
      if (this.#draining) res.setHeader('connection', 'close');
      res.once('close', () => {
        const left = (this.#sockets.get(socket) ?? 1) - 1;
        if (this.#sockets.has(socket)) this.#sockets.set(socket, left);
        if (this.#draining && left === 0) socket.destroy();
        this.#checkDrained();
      });
    });
  }

  /** True once drain() was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Open connections. */
  get open(): number {
    return this.#sockets.size;
  }

  /** Requests in flight on all connections. */
  get inFlight(): number {
    let count = 0;
    for (const requests of this.#sockets.values()) count += requests;
    return count;
  }

  /**
   * Idle connections (keep-alive, silent, half-sent headers) are destroyed at once; requests in flight
   * get `graceMs` to finish; then the listener closes and every remaining socket is destroyed. Resolves
   * when nothing is left, at the latest `graceMs` after the call.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    for (const [socket, requests] of this.#sockets) if (requests === 0) socket.destroy();
    if (this.inFlight > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#checkDrained();
      });
    }
    this.#drained = undefined;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.#sockets.keys()) socket.destroy();
    await closed;
  }

  #checkDrained(): void {
    if (this.#drained && this.inFlight === 0) this.#drained();
  }
}
