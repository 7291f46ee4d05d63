// The one module that speaks HTTP to HighLevel, over undici: one attempt per call, nothing more.
//
// undici because HighLevel's budget makes every call precious and the service's CPU per call is mostly
// the HTTP client's: README "Why undici and not got" has the measurements. One keep-alive Agent is built
// at start-up (per-call clients would pay a TLS handshake per call), with a bounded number of
// connections per origin. Every attempt is bounded by one timer (the attempt timeout or the operation's
// deadline, whichever comes first), its body is read under a size cap, and the body is always either
// read to the end or destroyed, so no socket is left half-read in the pool.
import { Agent, type Dispatcher } from 'undici';

export interface TransportOptions {
  /** e.g. https://services.leadconnectorhq.com; a path after the origin is kept as a prefix. */
  baseUrl: string;
  /** Sent with every request: Version, Accept, User-Agent. */
  headers: Record<string, string>;
  /** Bound on one attempt, connect to last byte. */
  attemptTimeoutMs: number;
  /** Bodies larger than this are cut off. */
  maxResponseBytes: number;
  /** Connections kept to HighLevel at most; further requests queue in the agent. */
  connections?: number;
}

/** The response headers the pipeline reads. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Why an attempt brought no answer; `timeout` and `unreachable` are outages, `aborted` is the deadline's. */
type FailureReason = 'timeout' | 'unreachable' | 'aborted' | 'too_large';

export type AttemptResult =
  | { kind: 'answer'; status: number; headers: ResponseHeaders; body: string; durationMs: number }
  /** `code`: the network error's code (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET, ...) or the reason. */
  | { kind: 'failure'; reason: FailureReason; code: string; durationMs: number };

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** What the pipeline needs of a transport (tests give it a fake one). */
export interface UpstreamTransport {
  get(path: string, headers: Record<string, string>, deadline: number): Promise<AttemptResult>;
}

export class Transport implements UpstreamTransport {
  readonly #agent: Agent;
  readonly #origin: string;
  readonly #pathPrefix: string;
  readonly #options: TransportOptions;

  constructor(options: TransportOptions) {
    const url = new URL(options.baseUrl);
    this.#origin = url.origin;
    this.#pathPrefix = url.pathname.replace(/\/+$/, '');
    this.#options = options;
    this.#agent = new Agent({
      connections: options.connections ?? 512,
      // Inactivity bounds inside the attempt's own timer: a stalled socket is noticed by undici too.
      headersTimeout: options.attemptTimeoutMs,
      bodyTimeout: options.attemptTimeoutMs,
      connectTimeout: Math.min(options.attemptTimeoutMs, 10_000),
    });
  }

  /**
   * One GET of `path` (below the base URL) with the call's own headers added.
   * @param deadline epoch ms after which the attempt is aborted (reason `aborted`).
   */
  async get(path: string, headers: Record<string, string>, deadline: number): Promise<AttemptResult> {
    const started = performance.now();
    const { attemptTimeoutMs, maxResponseBytes } = this.#options;
    const untilDeadline = deadline - Date.now();
    const byDeadline = untilDeadline <= attemptTimeoutMs;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(1, Math.min(untilDeadline, attemptTimeoutMs)));
    const failure = (reason: FailureReason, code: string): AttemptResult => ({
      kind: 'failure',
      reason,
      code,
      durationMs: performance.now() - started,
    });
    let response: Dispatcher.ResponseData | undefined;
    try {
      response = await this.#agent.request({
        origin: this.#origin,
        path: `${this.#pathPrefix}${path}`,
        method: 'GET',
        headers: { ...this.#options.headers, ...headers },
        signal: abort.signal,
      });
      const declared = Number(response.headers['content-length'] ?? 0);
      if (declared > maxResponseBytes) {
        response.body.destroy();
        return failure('too_large', 'too_large');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxResponseBytes) {
          response.body.destroy();
          return failure('too_large', 'too_large');
        }
        chunks.push(chunk);
      }
      const body = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
      return { kind: 'answer', status: response.statusCode, headers: response.headers, body, durationMs: performance.now() - started };
    } catch (error) {
      response?.body.destroy();
      if (abort.signal.aborted) return byDeadline ? failure('aborted', 'aborted') : failure('timeout', 'timeout');
      const code = String((error as { code?: unknown }).code ?? 'network error');
      if (TIMEOUT_CODES.has(code)) return failure('timeout', code);
      // undici's "other side closed": the connection was reset or closed under us.
      return failure('unreachable', code === 'UND_ERR_SOCKET' ? 'ECONNRESET' : code);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes every socket, so the process can exit; calls in flight fail. */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}
