// The one place that talks to HighLevel: `GET /conversations/{conversationId}` over got.
//
// One got instance and one keep-alive agent per client, built once at start-up: creating them per
// request would cost a TLS handshake per call and defeat connection reuse. got is told never to throw
// on HTTP statuses (we map them ourselves, see error-mapping.ts) and never to retry on its own here.
import http from 'node:http';
import https from 'node:https';
import got, { type Got } from 'got';
import type { ConversationServiceError } from '../errors.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../service-info.js';
import { type ConversationRecord, parseConversationBody } from './conversation-record.js';
import { assertValidConversationId, conversationPath } from './conversation-id.js';
import { errorFromRequestFailure, errorFromStatus, invalidResponse, parseJsonObject, type UpstreamAnswer } from './error-mapping.js';

export interface HighLevelClientOptions {
  /** e.g. https://services.leadconnectorhq.com (no trailing slash needed). */
  baseUrl: string;
  /** Value of the `Version` header. */
  apiVersion: string;
  /** Bound on one request, connect to last byte. */
  timeoutMs: number;
  /** Most sockets kept open to HighLevel at once; further requests queue in the agent. */
  maxSockets?: number;
}

/** Called after every upstream attempt, for logs and metrics. Never receives the token. */
export type UpstreamObserver = (event: {
  conversationId: string;
  durationMs: number;
  status?: number;
  error?: ConversationServiceError;
}) => void;

export const USER_AGENT = `${SERVICE_NAME}/${SERVICE_VERSION} node/${process.versions.node}`;

export class HighLevelClient {
  readonly #got: Got;
  readonly #agents: { http: http.Agent; https: https.Agent };
  readonly #timeoutMs: number;
  #observer: UpstreamObserver | undefined;

  constructor(options: HighLevelClientOptions, observer?: UpstreamObserver) {
    const maxSockets = options.maxSockets ?? 64;
    this.#agents = {
      http: new http.Agent({ keepAlive: true, maxSockets }),
      https: new https.Agent({ keepAlive: true, maxSockets }),
    };
    this.#timeoutMs = options.timeoutMs;
    this.#observer = observer;
    this.#got = got.extend({
      prefixUrl: `${options.baseUrl.replace(/\/+$/, '')}/`,
      headers: {
        version: options.apiVersion,
        accept: 'application/json',
        'user-agent': USER_AGENT,
      },
      agent: this.#agents,
      timeout: { request: options.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: 'text',
    });
  }

  /**
   * Reads one conversation with the caller's `Authorization` value (sent as given).
   * @throws ConversationServiceError with the code for what went wrong; never anything else.
   */
  async getConversation(conversationId: string, authorization: string): Promise<ConversationRecord> {
    assertValidConversationId(conversationId);
    const started = performance.now();
    let answer: UpstreamAnswer;
    try {
      const response = await this.#got.get(conversationPath(conversationId), {
        headers: { authorization },
      });
      answer = { status: response.statusCode, headers: response.headers, body: response.body };
    } catch (cause) {
      const error = errorFromRequestFailure(cause, this.#timeoutMs);
      this.#observe({ conversationId, durationMs: performance.now() - started, error });
      throw error;
    }
    const secret = tokenOf(authorization);
    const outcome = interpret(answer, conversationId, secret);
    this.#observe({
      conversationId,
      durationMs: performance.now() - started,
      status: answer.status,
      ...(outcome.ok ? {} : { error: outcome.error }),
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.record;
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #observe(event: Parameters<UpstreamObserver>[0]): void {
    this.#observer?.(event);
  }
}

type Outcome = { ok: true; record: ConversationRecord } | { ok: false; error: ConversationServiceError };

function interpret(answer: UpstreamAnswer, conversationId: string, secret: string): Outcome {
  if (answer.status < 200 || answer.status > 299) {
    return { ok: false, error: errorFromStatus(answer, conversationId, secret) };
  }
  const body = parseJsonObject(answer.body);
  if (body === undefined) {
    return { ok: false, error: invalidResponse('the body is not a JSON object', answer, secret) };
  }
  const parsed = parseConversationBody(body);
  return parsed.ok ? parsed : { ok: false, error: invalidResponse(parsed.problem, answer, secret) };
}

/** The credential part of an Authorization value ("Bearer abc" gives "abc"), for redaction. */
function tokenOf(authorization: string): string {
  return authorization.replace(/^\s*bearer\s+/i, '').trim();
}
