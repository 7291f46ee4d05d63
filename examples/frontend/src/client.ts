// A small typed client for the conversations service, as a frontend would write it: plain `fetch`, the
// documents graphql-codegen generated from operations/*.graphql (src/gql/), and one place that turns
// every `extensions.code` into what the user interface should do.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient } from 'graphql-ws';
import type { ErrorCode } from './gql/error-codes.js';
import { ConversationHeaderDocument, InboxDocument, type InboxUpdatesSubscription, InboxUpdatesDocument } from './gql/graphql.js';

export type { ErrorCode } from './gql/error-codes.js';
export type { ConversationHeaderQuery, InboxQuery, InboxUpdatesSubscription } from './gql/graphql.js';

export interface ClientOptions {
  /** The service's GraphQL endpoint, such as http://localhost:4000/graphql. */
  url: string;
  /** The caller's own HighLevel token (without `Bearer`); the service forwards it. */
  token: string;
  /**
   * Send `{ documentId, variables }` (the hash codegen embedded in each document) instead of the document
   * text. Required by a service in safelist mode (PERSISTED_OPERATIONS_SAFELIST), which runs only the
   * operations of src/gql/persisted-documents.json.
   */
  persisted?: boolean;
}

/** What the user interface should do about one error. */
export type UserAction =
  | { kind: 'retry-later'; retryAfterSeconds: number | undefined; message: string }
  | { kind: 'retry'; message: string }
  | { kind: 'sign-in-again'; message: string }
  | { kind: 'no-access'; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'fix-input'; message: string }
  | { kind: 'split-request'; message: string }
  | { kind: 'update-app'; message: string }
  | { kind: 'report-bug'; message: string };

/** A GraphQL error as this service sends it (see the README's "Errors"). */
export interface ServiceError {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; retryAfter?: number; [key: string]: unknown };
}

export interface HandledError {
  code: ErrorCode;
  /** The service's message, for logs; `action.message` is the one to show. */
  serviceMessage: string;
  path: ReadonlyArray<string | number> | undefined;
  action: UserAction;
}

export interface Result<TData> {
  /** HTTP status: 200 even when some fields failed; 4xx/5xx when the request was refused as a whole. */
  status: number;
  /** Null when nothing ran; otherwise failed fields are null and have an entry in `errors`. */
  data: TData | null;
  errors: HandledError[];
}

/**
 * The one switch over every code. Its `never` default makes a code added to the schema's `enum ErrorCode`
 * (after `graphql-codegen`) a compile error here until it is handled.
 */
export function actionFor(code: ErrorCode, extensions: ServiceError['extensions'] = {}): UserAction {
  switch (code) {
    case 'RATE_LIMITED':
      return {
        kind: 'retry-later',
        retryAfterSeconds: typeof extensions.retryAfter === 'number' ? extensions.retryAfter : undefined,
        message: 'HighLevel is busy for this account. Try again shortly.',
      };
    case 'UPSTREAM_ERROR':
    case 'UPSTREAM_TIMEOUT':
    case 'UPSTREAM_UNREACHABLE':
    case 'UPSTREAM_UNAVAILABLE':
    case 'SHUTTING_DOWN':
      return { kind: 'retry', message: 'HighLevel could not be reached just now. Try again.' };
    case 'UNAUTHENTICATED':
      return { kind: 'sign-in-again', message: 'Your session has expired. Sign in again.' };
    case 'FORBIDDEN':
      return { kind: 'no-access', message: 'This conversation belongs to another account.' };
    case 'NOT_FOUND':
      return { kind: 'not-found', message: 'This conversation no longer exists.' };
    case 'BAD_USER_INPUT':
    case 'UNPROCESSABLE_ENTITY':
      return { kind: 'fix-input', message: 'That conversation id is not valid.' };
    case 'COST_LIMIT_EXCEEDED':
    case 'PAYLOAD_TOO_LARGE':
      return { kind: 'split-request', message: 'Too many conversations at once. Load fewer.' };
    // The app's operations are not the ones the service knows: a deploy is out of step.
    case 'PERSISTED_OPERATION_REQUIRED':
    case 'PERSISTED_OPERATION_NOT_FOUND':
    case 'GRAPHQL_VALIDATION_FAILED':
      return { kind: 'update-app', message: 'This page is out of date. Reload it.' };
    // Mistakes of this client or of the service: nothing the user can do but report them.
    case 'BAD_REQUEST':
    case 'UNSUPPORTED_MEDIA_TYPE':
    case 'GRAPHQL_PARSE_FAILED':
    case 'OPERATION_RESOLUTION_FAILURE':
    case 'PERSISTED_QUERY_NOT_FOUND':
    case 'UPSTREAM_INVALID_RESPONSE':
    case 'INTERNAL_SERVER_ERROR':
      return { kind: 'report-bug', message: 'Something went wrong on our side. It has been reported.' };
    default: {
      // Compile time: every code is handled. Run time: a code from a newer service lands here.
      const unhandled: never = code;
      return { kind: 'report-bug', message: `Unexpected error (${String(unhandled)}).` };
    }
  }
}

export function handleError(error: ServiceError): HandledError {
  // The service puts a code on every error; a missing one is treated as a bug.
  const code = (error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') as ErrorCode;
  return { code, serviceMessage: error.message, path: error.path, action: actionFor(code, error.extensions) };
}

/** The id codegen embedded in a document (`__meta__.hash`): the key of persisted-documents.json. */
export function documentIdOf(document: TypedDocumentNode<unknown, never>): string {
  const hash = (document as { __meta__?: { hash?: unknown } }).__meta__?.hash;
  if (typeof hash !== 'string') throw new Error('This document has no persisted id: run graphql-codegen with persistedDocuments');
  return hash;
}

/** Runs one typed document. Network failures (fetch rejecting) are thrown, not mapped. */
export async function execute<TData, TVariables>(
  options: ClientOptions,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
): Promise<Result<TData>> {
  const body = options.persisted ? { documentId: documentIdOf(document), variables } : { query: print(document), variables };
  const response = await fetch(options.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${options.token}`,
    },
    body: JSON.stringify(body),
  });
  // Refused requests (400, 413, 503...) still answer a GraphQL JSON body with `errors`.
  const payload = (await response.json()) as { data?: TData | null; errors?: ServiceError[] };
  return { status: response.status, data: payload.data ?? null, errors: (payload.errors ?? []).map(handleError) };
}

/** One conversation's header; `data.conversation` is null when it cannot be read (see `errors`). */
export function getConversation(options: ClientOptions, id: string) {
  return execute(options, ConversationHeaderDocument, { id });
}

/** Several conversations in the order of `ids`; an unreadable one is null at its index. */
export function getInbox(options: ClientOptions, ids: string[]) {
  return execute(options, InboxDocument, { ids });
}

/**
 * Keeps an inbox live: `onChange` gets each changed conversation (typed), `onError` what ends the
 * subscription (an id the token may not read: FORBIDDEN, NOT_FOUND...). Returns the function that stops it.
 */
export function watchInbox(
  options: ClientOptions,
  ids: string[],
  handlers: { onChange(conversation: InboxUpdatesSubscription['conversationUpdated']): void; onError(errors: HandledError[]): void },
): () => void {
  const client = createClient({ url: options.url.replace(/^http/, 'ws'), connectionParams: { authorization: `Bearer ${options.token}` } });
  const stop = client.subscribe<InboxUpdatesSubscription>(
    // In safelist mode (`persisted`), the operation goes by its id, as over HTTP.
    options.persisted ? { query: '', variables: { ids }, extensions: { documentId: documentIdOf(InboxUpdatesDocument) } } : { query: print(InboxUpdatesDocument), variables: { ids } },
    {
      next: (result) => {
        if (result.errors?.length) handlers.onError(result.errors.map((error) => handleError(error as ServiceError)));
        else if (result.data) handlers.onChange(result.data.conversationUpdated);
      },
      // Refused before it started: a list of GraphQL errors; else the socket closed (a CloseEvent) or failed.
      error: (error) =>
        handlers.onError(
          Array.isArray(error)
            ? (error as ServiceError[]).map(handleError)
            : [handleError({ message: error instanceof Error ? error.message : 'The connection closed', extensions: { code: 'UPSTREAM_UNREACHABLE' } })],
        ),
      complete: () => undefined,
    },
  );
  return () => {
    stop();
    void client.dispose();
  };
}
