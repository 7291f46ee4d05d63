// Turns what HighLevel (or the network) did into the service's typed errors: one function for HTTP
// answers, one for failures where no answer came. The table lives here and nowhere else.
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
  type RateLimitScope,
  type UpstreamErrorDetails,
} from '../errors.js';
import { limitOf429, readRateLimitHeaders } from './rate-limit-headers.js';
import { type Scrub, credentialsOf } from './secret-scrubber.js';
import type { AttemptResult, ResponseHeaders } from './transport.js';
import { isObject } from '../json.js';

export interface UpstreamAnswer {
  status: number;
  /** The Authorization value the request carried, when known: only to hint at a missing `Bearer `. */
  sentAuthorization?: string;
  headers: ResponseHeaders;
  /** The body as text, exactly as received. */
  body: string;
}

/**
 * Maps a non-2xx answer to its error. `conversationId` only shapes the message; `scrub` cuts the caller's
 * credential out of anything HighLevel said, in case it echoes it.
 */
export function errorFromStatus(
  answer: UpstreamAnswer,
  conversationId: string,
  scrub: Scrub,
  limit429: { scope: RateLimitScope; retryAfterMs: number } = limitOf429(answer.headers, readRateLimitHeaders(answer.headers)),
): ConversationServiceError {
  const upstream = upstreamDetails(answer, scrub);
  const said = upstream.messages.length > 0 ? `: ${upstream.messages.join('; ')}` : '';
  switch (answer.status) {
    case 400:
      return new BadUserInputError(`HighLevel rejected the request for conversation "${conversationId}"${said}`, { upstream });
    case 401:
      return new UnauthenticatedError(`HighLevel did not accept the credentials${said}${schemeHint(answer.sentAuthorization)}`, { upstream });
    case 403:
      return new ForbiddenError(`Not allowed to read conversation "${conversationId}"${said}`, { upstream });
    case 404:
      return new NotFoundError(`Conversation "${conversationId}" was not found`, { upstream });
    case 422:
      return new UnprocessableEntityError(`HighLevel could not process the request for conversation "${conversationId}"${said}`, { upstream });
    case 429: {
      const { scope } = limit429;
      const retryAfter = Math.ceil(limit429.retryAfterMs / 1000);
      const limit = scope === 'daily' ? "HighLevel's daily quota for this location is used up" : "HighLevel's rate limit was reached";
      return new RateLimitedError(`${limit}${said}`, { retryAfter, scope }, { upstream });
    }
    default:
      return new UpstreamError(`HighLevel answered HTTP ${answer.status} for conversation "${conversationId}"${said}`, { upstream });
  }
}

/** HighLevel wants `Bearer <token>`; a header without the scheme is the usual cause of a puzzling 401. */
function schemeHint(authorization: string | undefined): string {
  if (authorization === undefined || credentialsOf(authorization).scheme?.toLowerCase() === 'bearer') return '';
  return ' (the Authorization header does not start with "Bearer ": send "Authorization: Bearer <token>")';
}

/**
 * Maps an attempt that brought no usable answer (timeout, refused, reset, DNS, the deadline, a body over
 * the size limit). The message names the failure kind only, never a URL.
 */
export function errorFromFailure(
  failure: Extract<AttemptResult, { kind: 'failure' }>,
  { timeoutMs, maxResponseBytes }: { timeoutMs: number; maxResponseBytes: number },
): ConversationServiceError {
  switch (failure.reason) {
    case 'aborted':
      return new DeadlineExceededError("HighLevel did not answer before the operation's deadline");
    case 'timeout':
      return new UpstreamTimeoutError(`HighLevel did not answer within ${timeoutMs} ms`);
    case 'too_large':
      return new UpstreamInvalidResponseError(`HighLevel's answer is larger than ${maxResponseBytes} bytes; it was cut off`);
    case 'unreachable':
      return new UpstreamUnreachableError(`HighLevel could not be reached (${failure.code})`);
  }
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
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
