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
import type { Scrub } from './secret-scrubber.js';

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, exactly as received. */
  body: string;
}

/**
 * Maps a non-2xx answer to its error. `conversationId` only shapes the message; `scrub` cuts the caller's
 * credential out of anything HighLevel said, in case it echoes it.
 */
export function errorFromStatus(answer: UpstreamAnswer, conversationId: string, scrub: Scrub): ConversationServiceError {
  const upstream = upstreamDetails(answer, scrub);
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
export function invalidResponse(problem: string, answer: UpstreamAnswer, scrub: Scrub): UpstreamInvalidResponseError {
  return new UpstreamInvalidResponseError(`HighLevel's answer is not a conversation (${problem})`, {
    upstream: upstreamDetails(answer, scrub),
  });
}

/**
 * Reads HighLevel's error body (`{ statusCode, message, error?, traceId? }`), tolerating anything else.
 * This is the only reader of what HighLevel says on failure: every string it passes on is scrubbed.
 */
export function upstreamDetails(answer: UpstreamAnswer, scrub: Scrub): UpstreamErrorDetails {
  const body = parseJsonObject(answer.body);
  const message = body?.message;
  const said =
    typeof message === 'string'
      ? [message]
      : Array.isArray(message)
        ? message.filter((item): item is string => typeof item === 'string')
        : [];
  const messages = said.map(scrub);
  const traceId = typeof body?.traceId === 'string' ? scrub(body.traceId) : undefined;
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
