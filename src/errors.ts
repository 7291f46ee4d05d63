// The errors the service returns, one GraphQLError subclass per stable `extensions.code`.
//
// Clients switch on `extensions.code`, so the codes are a public contract: add new ones, never rename.
// Where HighLevel answered, `extensions.upstream` carries what it said ({ status, messages, traceId }).
// Errors of a field never set `extensions.http`: Apollo Server reads that key to set the HTTP status of
// the whole response, and one failed field must not turn a partial success into an HTTP error. Only the
// errors that refuse a whole operation before it runs (the cost limit's, in limits/operation-cost.ts) set
// it, to answer 400; Apollo strips the key from the answer.
import { GraphQLError } from 'graphql';

/** Every `extensions.code` this service produces itself (Apollo adds its own for invalid documents). */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'UNPROCESSABLE_ENTITY',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_UNREACHABLE',
  'UPSTREAM_INVALID_RESPONSE',
  'UPSTREAM_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Codes of answers refused or failed before any field resolved: ours (the HTTP front, limits, safelist)
 * and the ones Apollo Server produces for this service.
 */
const REQUEST_ERROR_CODES = [
  'COST_LIMIT_EXCEEDED',
  'PERSISTED_OPERATION_REQUIRED',
  'PERSISTED_OPERATION_NOT_FOUND',
  'SHUTTING_DOWN',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'INTERNAL_SERVER_ERROR',
] as const;

export type RequestErrorCode = (typeof REQUEST_ERROR_CODES)[number];

/** Every `extensions.code` a client of this service can meet; the schema's `enum ErrorCode` lists the same. */
export const ALL_ERROR_CODES: readonly (ErrorCode | RequestErrorCode)[] = [...ERROR_CODES, ...REQUEST_ERROR_CODES];

/** What HighLevel said about a failed request, as exposed to clients under `extensions.upstream`. */
export interface UpstreamErrorDetails {
  /** HTTP status HighLevel answered with. */
  status: number;
  /** HighLevel's `message`, always as a list (its 422 bodies carry several, the others one). */
  messages: string[];
  /** HighLevel's `traceId`, when it sent one: quote it to HighLevel's support. */
  traceId?: string;
}

interface ServiceErrorOptions {
  upstream?: UpstreamErrorDetails | undefined;
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base class of every error this service raises on purpose. Each subclass names its code once, as a
 * static, and the base puts it into `extensions.code`.
 */
export abstract class ConversationServiceError extends GraphQLError {
  static readonly code: ErrorCode;

  constructor(message: string, options: ServiceErrorOptions = {}) {
    super(message, {
      extensions: {
        code: (new.target as unknown as { code: ErrorCode }).code,
        ...(options.upstream ? { upstream: options.upstream } : {}),
        ...options.extensions,
      },
      // Kept for logs; graphql-js never serialises originalError into the response.
      originalError: options.cause instanceof Error ? options.cause : undefined,
    });
  }
}

export class BadUserInputError extends ConversationServiceError {
  static override readonly code = 'BAD_USER_INPUT';
}

export class UnauthenticatedError extends ConversationServiceError {
  static override readonly code = 'UNAUTHENTICATED';
}

export class ForbiddenError extends ConversationServiceError {
  static override readonly code = 'FORBIDDEN';
}

export class NotFoundError extends ConversationServiceError {
  static override readonly code = 'NOT_FOUND';
}

export class UnprocessableEntityError extends ConversationServiceError {
  static override readonly code = 'UNPROCESSABLE_ENTITY';
}

/** Which of HighLevel's limits was hit: the 100-per-10-s burst limit, or the daily quota. */
export type RateLimitScope = 'burst' | 'daily';

export class RateLimitedError extends ConversationServiceError {
  static override readonly code = 'RATE_LIMITED';

  /**
   * @param limit `retryAfter`: seconds until a retry can succeed (exposed as `extensions.retryAfter`);
   *   `scope`: which limit (exposed as `extensions.scope`).
   */
  constructor(message: string, limit: { retryAfter: number; scope: RateLimitScope }, options: ServiceErrorOptions = {}) {
    super(message, {
      ...options,
      extensions: { retryAfter: limit.retryAfter, scope: limit.scope, ...options.extensions },
    });
  }
}

export class UpstreamError extends ConversationServiceError {
  static override readonly code = 'UPSTREAM_ERROR';
}

export class UpstreamTimeoutError extends ConversationServiceError {
  static override readonly code = 'UPSTREAM_TIMEOUT';
}

/**
 * The operation's deadline came before HighLevel answered (or before a call could start). Same code
 * as any timeout for clients; kept apart so it does not count as an upstream outage: a healthy HighLevel
 * is not at fault when an operation runs out of time in our queue.
 */
export class DeadlineExceededError extends UpstreamTimeoutError {}

export class UpstreamUnreachableError extends ConversationServiceError {
  static override readonly code = 'UPSTREAM_UNREACHABLE';
}

export class UpstreamInvalidResponseError extends ConversationServiceError {
  static override readonly code = 'UPSTREAM_INVALID_RESPONSE';
}

/** The circuit breaker is open: HighLevel failed repeatedly, so no call was made. */
export class UpstreamUnavailableError extends ConversationServiceError {
  static override readonly code = 'UPSTREAM_UNAVAILABLE';
}
