// The errors the service returns, one GraphQLError subclass per stable `extensions.code`.
//
// Clients switch on `extensions.code`, so the codes are a public contract: add new ones, never rename.
// Where HighLevel answered, `extensions.upstream` carries what it said ({ status, messages, traceId }).
// It deliberately does not use `extensions.http`: Apollo Server reads that key to set the HTTP status of
// the whole response, and one failed field must not turn a partial success into an HTTP error.
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
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

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

/** Base class of every error this service raises on purpose. */
export abstract class ConversationServiceError extends GraphQLError {
  abstract readonly code: ErrorCode;

  protected constructor(code: ErrorCode, message: string, options: ServiceErrorOptions = {}) {
    super(message, {
      extensions: {
        code,
        ...(options.upstream ? { upstream: options.upstream } : {}),
        ...options.extensions,
      },
      // Kept for logs; graphql-js never serialises originalError into the response.
      originalError: options.cause instanceof Error ? options.cause : undefined,
    });
  }
}

export class BadUserInputError extends ConversationServiceError {
  readonly code = 'BAD_USER_INPUT';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('BAD_USER_INPUT', message, options);
  }
}

export class UnauthenticatedError extends ConversationServiceError {
  readonly code = 'UNAUTHENTICATED';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('UNAUTHENTICATED', message, options);
  }
}

export class ForbiddenError extends ConversationServiceError {
  readonly code = 'FORBIDDEN';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('FORBIDDEN', message, options);
  }
}

export class NotFoundError extends ConversationServiceError {
  readonly code = 'NOT_FOUND';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

export class UnprocessableEntityError extends ConversationServiceError {
  readonly code = 'UNPROCESSABLE_ENTITY';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('UNPROCESSABLE_ENTITY', message, options);
  }
}

export class RateLimitedError extends ConversationServiceError {
  readonly code = 'RATE_LIMITED';
  /** @param retryAfterSeconds when HighLevel said how long to wait; exposed as `extensions.retryAfter`. */
  constructor(message: string, retryAfterSeconds: number | undefined, options: ServiceErrorOptions = {}) {
    super('RATE_LIMITED', message, {
      ...options,
      extensions: { ...(retryAfterSeconds !== undefined ? { retryAfter: retryAfterSeconds } : {}), ...options.extensions },
    });
  }
}

export class UpstreamError extends ConversationServiceError {
  readonly code = 'UPSTREAM_ERROR';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('UPSTREAM_ERROR', message, options);
  }
}

export class UpstreamTimeoutError extends ConversationServiceError {
  readonly code = 'UPSTREAM_TIMEOUT';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('UPSTREAM_TIMEOUT', message, options);
  }
}

export class UpstreamUnreachableError extends ConversationServiceError {
  readonly code = 'UPSTREAM_UNREACHABLE';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('UPSTREAM_UNREACHABLE', message, options);
  }
}

export class UpstreamInvalidResponseError extends ConversationServiceError {
  readonly code = 'UPSTREAM_INVALID_RESPONSE';
  constructor(message: string, options?: ServiceErrorOptions) {
    super('UPSTREAM_INVALID_RESPONSE', message, options);
  }
}
