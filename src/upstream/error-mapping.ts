// Turns what HighLevel (or the network) did into the service's typed errors: one function for HTTP
// answers, one for failures where no answer came. The table lives here and nowhere else.
import { RequestError, TimeoutError } from 'got';
import {
  BadUserInputError,
  type ConversationServiceError,
  DeadlineExceededError,
  ForbiddenError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
  UnprocessableEntityError,
  UpstreamError,
  UpstreamInvalidResponseError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  type UpstreamErrorDetails,
} from '../errors.js';
import { retryAfterMsOf429, scopeOf429 } from './rate-limit-headers.js';

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, exactly as received. */
  body: string;
}

/**
 * Maps a non-2xx answer to its error. `conversationId` only shapes the message; `secret` (the caller's
 * token) is cut out of anything HighLevel said, in case a message ever echoes it.
 */
export function errorFromStatus(answer: UpstreamAnswer, conversationId: string, secret?: string): ConversationServiceError {
  const upstream = upstreamDetails(answer, secret);
  const said = upstream.messages.length > 0 ? `: ${upstream.messages.join('; ')}` : '';
  switch (answer.status) {
    case 400:
      return new BadUserInputError(`HighLevel rejected the request for conversation "${conversationId}"${said}`, { upstream });
    case 401:
      return new UnauthenticatedError(`HighLevel did not accept the credentials${said}`, { upstream });
    case 403:
      return new ForbiddenError(`Not allowed to read conversation "${conversationId}"${said}`, { upstream });
    case 404:
      return new NotFoundError(`Conversation "${conversationId}" was not found`, { upstream });
    case 422:
      return new UnprocessableEntityError(`HighLevel could not process the request for conversation "${conversationId}"${said}`, { upstream });
    case 429: {
      const scope = scopeOf429(answer.headers);
      const retryAfter = Math.ceil(retryAfterMsOf429(answer.headers) / 1000);
      const limit = scope === 'daily' ? "HighLevel's daily quota for this token is used up" : "HighLevel's rate limit was reached";
      return new RateLimitedError(`${limit}${said}`, { retryAfter, scope }, { upstream });
    }
    default:
      return new UpstreamError(`HighLevel answered HTTP ${answer.status} for conversation "${conversationId}"${said}`, { upstream });
  }
}

/**
 * Maps a failure where HighLevel sent no usable answer (timeout, refused, reset, DNS).
 * `deadlinePassed`: the call was aborted because the operation's deadline came.
 */
export function errorFromRequestFailure(
  error: unknown,
  { timeoutMs, deadlinePassed }: { timeoutMs: number; deadlinePassed: boolean },
): ConversationServiceError {
  // First: an abort at the deadline can surface as a TimeoutError too (AbortSignal.timeout's reason).
  if (deadlinePassed) {
    return new DeadlineExceededError("HighLevel did not answer before the operation's deadline", { cause: error });
  }
  if (error instanceof TimeoutError) {
    return new UpstreamTimeoutError(`HighLevel did not answer within ${timeoutMs} ms`, { cause: error });
  }
  const code = error instanceof RequestError ? error.code : undefined;
  // The message names the failure kind only: got's own messages can include the full upstream URL.
  return new UpstreamUnreachableError(`HighLevel could not be reached (${code ?? 'network error'})`, { cause: error });
}

/** A 2xx whose body is not a conversation. */
export function invalidResponse(problem: string, answer: UpstreamAnswer, secret?: string): UpstreamInvalidResponseError {
  return new UpstreamInvalidResponseError(`HighLevel's answer is not a conversation (${problem})`, {
    upstream: upstreamDetails(answer, secret),
  });
}

/** Reads HighLevel's error body (`{ statusCode, message, error?, traceId? }`), tolerating anything else. */
export function upstreamDetails(answer: UpstreamAnswer, secret?: string): UpstreamErrorDetails {
  const body = parseJsonObject(answer.body);
  const message = body?.message;
  const said =
    typeof message === 'string'
      ? [message]
      : Array.isArray(message)
        ? message.filter((item): item is string => typeof item === 'string')
        : [];
  const messages = secret ? said.map((text) => text.split(secret).join('[REDACTED]')) : said;
  const traceId = typeof body?.traceId === 'string' ? body.traceId : undefined;
  return { status: answer.status, messages, ...(traceId ? { traceId } : {}) };
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
