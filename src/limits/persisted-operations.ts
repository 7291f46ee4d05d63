// Safelist mode: only operations listed in a manifest run, and only by id.
//
// Two manifest formats are read, the two that client tooling produces:
// - graphql-codegen's client preset (`persistedDocuments: true`): `{ "<hash>": "<document>", ... }`;
// - Apollo's persisted query manifest: `{ "format": "apollo-persisted-query-manifest", "version": 1,
//   "operations": [{ "id", "name", "type", "body" }] }`.
// Clients send the id as `documentId` (the GraphQL-over-HTTP persisted documents convention, used by
// the client preset) or as Apollo's `extensions.persistedQuery.sha256Hash`. The manifest is read once,
// at start-up: a bad file stops the service rather than silently allowing or refusing everything.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import type { RequestErrorCode } from '../errors.js';
import { isObject } from '../json.js';

const PERSISTED_OPERATION_REQUIRED = 'PERSISTED_OPERATION_REQUIRED' satisfies RequestErrorCode;
const PERSISTED_OPERATION_NOT_FOUND = 'PERSISTED_OPERATION_NOT_FOUND' satisfies RequestErrorCode;

export type Safelist = ReadonlyMap<string, string>;

/** Reads a manifest file into a map from operation id to document text. */
export function loadSafelist(path: string): Safelist {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `Invalid configuration: PERSISTED_OPERATIONS_SAFELIST cannot be read as JSON (${(error as Error).message.split('\n')[0]})`,
    );
  }
  const operations = safelistFrom(parsed);
  if (!operations) {
    throw new ConfigError(
      'Invalid configuration: PERSISTED_OPERATIONS_SAFELIST is neither an Apollo persisted query manifest nor a graphql-codegen persisted documents file',
    );
  }
  return operations;
}

function safelistFrom(manifest: unknown): Safelist | undefined {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return undefined;
  const record = manifest as Record<string, unknown>;
  if (record.format === 'apollo-persisted-query-manifest') {
    if (!Array.isArray(record.operations)) return undefined;
    const entries: Array<[string, string]> = [];
    for (const operation of record.operations as Array<Record<string, unknown>>) {
      if (typeof operation?.id !== 'string' || typeof operation.body !== 'string') return undefined;
      entries.push([operation.id, operation.body]);
    }
    return new Map(entries);
  }
  const entries = Object.entries(record);
  if (!entries.every(([, body]) => typeof body === 'string')) return undefined;
  return new Map(entries as Array<[string, string]>);
}

export type SafelistOutcome =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; code: typeof PERSISTED_OPERATION_REQUIRED | typeof PERSISTED_OPERATION_NOT_FOUND; message: string };

/**
 * Replaces a request's id by the listed document. Requests that bring their own document text, or an
 * id the manifest does not list, are refused.
 */
export function applySafelist(safelist: Safelist, body: Record<string, unknown>): SafelistOutcome {
  const extensions = isObject(body.extensions) ? body.extensions : {};
  const persisted = extensions.persistedQuery as { sha256Hash?: unknown } | undefined;
  const id = typeof body.documentId === 'string' ? body.documentId : typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
  if (id === undefined) {
    return {
      ok: false,
      code: PERSISTED_OPERATION_REQUIRED,
      message: 'This service only runs persisted operations: send the operation\'s id ("documentId"), not its text.',
    };
  }
  const document = safelist.get(id);
  if (document === undefined) {
    return { ok: false, code: PERSISTED_OPERATION_NOT_FOUND, message: `No persisted operation has the id "${id.slice(0, 128)}".` };
  }
  // Apollo's APQ handling would otherwise check (or store) the hash; the id has done its work here.
  const { persistedQuery: _persistedQuery, ...otherExtensions } = extensions;
  const { documentId: _documentId, ...rest } = body;
  return { ok: true, body: { ...rest, query: document, extensions: otherExtensions } };
}
