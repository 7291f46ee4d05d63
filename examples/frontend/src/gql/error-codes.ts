/* eslint-disable */
/** Who may cache an answer: PUBLIC (any cache) or PRIVATE (only the caller's own, such as the browser). */
export type CacheControlScope =
  /** Only the caller's own cache may keep the answer. */
  | 'PRIVATE'
  /** Any cache may keep the answer. */
  | 'PUBLIC';

/** The communication channel a conversation runs on (HighLevel's numeric `type`). */
export type ChannelType =
  /** Email (HighLevel type 2). */
  | 'EMAIL'
  /** Facebook Messenger (HighLevel type 3). */
  | 'FACEBOOK_MESSENGER'
  /** Group SMS (HighLevel type 5). */
  | 'GROUP_SMS'
  /** Internal chat between team members (HighLevel type 6). */
  | 'INTERNAL_CHAT'
  /** Phone calls and SMS (HighLevel type 1). */
  | 'PHONE'
  /** Reviews, such as Google reviews (HighLevel type 4). */
  | 'REVIEW'
  /**
   * A channel this service does not know yet (any other value HighLevel sends). The conversation's other
   * fields are still valid; update the client when a new channel appears.
   */
  | 'UNKNOWN';

/**
 * Every `extensions.code` this service can put on an error. Not used by any field: it is here so that
 * client codegen gives frontends the same list as a type (graphql-codegen: a union of string literals).
 */
export type ErrorCode =
  /** Malformed request: invalid JSON, missing query, or a failed CSRF check. */
  | 'BAD_REQUEST'
  /** The request is invalid: a malformed conversation id (refused before any call), one list longer than the lookup limit, wrong variables, or HighLevel answered 400. */
  | 'BAD_USER_INPUT'
  /** The operation could cause more upstream lookups than allowed; nothing ran. Split it. */
  | 'COST_LIMIT_EXCEEDED'
  /** HighLevel answered 403: the token belongs to another location. */
  | 'FORBIDDEN'
  /** The document is not valid GraphQL syntax, or has too many tokens. */
  | 'GRAPHQL_PARSE_FAILED'
  /** The document does not fit the schema or the depth, alias, directive or introspection rules. */
  | 'GRAPHQL_VALIDATION_FAILED'
  /** A bug in this service. Report it with the response's x-request-id. */
  | 'INTERNAL_SERVER_ERROR'
  /** HighLevel has no conversation with this id (404). */
  | 'NOT_FOUND'
  /** The requested operationName is not in the document. */
  | 'OPERATION_RESOLUTION_FAILURE'
  /** The request body is over the size limit (HTTP 413). */
  | 'PAYLOAD_TOO_LARGE'
  /** Safelist mode: no persisted operation has this id. */
  | 'PERSISTED_OPERATION_NOT_FOUND'
  /** Safelist mode: send a persisted operation's id, not document text. */
  | 'PERSISTED_OPERATION_REQUIRED'
  /** Automatic persisted queries: this hash is not registered yet; send the query text with it. */
  | 'PERSISTED_QUERY_NOT_FOUND'
  /** HighLevel's rate limit: `extensions.retryAfter` (seconds) and `extensions.scope` (burst or daily) say when to retry. */
  | 'RATE_LIMITED'
  /** The service is shutting down (HTTP 503); retry on another instance. */
  | 'SHUTTING_DOWN'
  /** No token at all (no call made), or HighLevel refused the token (invalid, expired, missing scope, bad Version header). */
  | 'UNAUTHENTICATED'
  /** HighLevel answered 422; `extensions.upstream.messages` lists every reason. */
  | 'UNPROCESSABLE_ENTITY'
  /** The JSON body is not UTF-8 (HTTP 415). */
  | 'UNSUPPORTED_MEDIA_TYPE'
  /** HighLevel answered another non-2xx status (5xx and others). */
  | 'UPSTREAM_ERROR'
  /** HighLevel answered 2xx with something that is not a conversation, or a body over the size limit. */
  | 'UPSTREAM_INVALID_RESPONSE'
  /** HighLevel did not answer in time (per attempt, or before the operation's deadline). */
  | 'UPSTREAM_TIMEOUT'
  /** HighLevel failed repeatedly; the circuit breaker is open and no call was made. Retry shortly. */
  | 'UPSTREAM_UNAVAILABLE'
  /** HighLevel could not be reached: connection refused or reset, DNS failure. */
  | 'UPSTREAM_UNREACHABLE';
