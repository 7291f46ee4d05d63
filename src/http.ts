// Small HTTP helpers for the node:http front: reading a bounded body (JSON, or raw for webhooks), writing
// JSON answers.
import type http from 'node:http';
import type { RequestErrorCode } from './errors.js';

export type BodyResult =
  | { ok: true; value: unknown }
  | { ok: false; status: 400 | 413 | 415; code: RequestErrorCode; message: string };

/**
 * Reads a JSON request body of at most `maxBytes`. Bodies that are not JSON are left to Apollo, which
 * answers them with its own 400 (and CSRF prevention) rules. A body over the limit is not read further.
 */
export async function readJsonBody(req: http.IncomingMessage, maxBytes: number): Promise<BodyResult> {
  if (req.method !== 'POST') return { ok: true, value: undefined };
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  const [mediaType, ...parameters] = contentType.split(';').map((part) => part.trim());
  if (mediaType !== 'application/json') return { ok: true, value: undefined };
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    return { ok: false, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: `Unsupported charset "${charset}": send UTF-8 JSON.` };
  }
  const tooLarge = { ok: false, status: 413, code: 'PAYLOAD_TOO_LARGE', message: `Request body exceeds ${maxBytes} bytes.` } as const;
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return tooLarge;
  const body = await readRawBody(req, maxBytes);
  if (body === undefined) return tooLarge;
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'Request body is not valid JSON.' };
  }
}

/**
 * The body, or undefined as soon as it passes `maxBytes` (the rest is not read). Events rather than an
 * async iterator: this runs for every request, and the iterator costs a promise per chunk.
 * @throws when the client goes away before the body is complete.
 */
export function readRawBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.pause();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('the client closed the connection before the body was complete'));
    });
  });
}

/** A GraphQL-shaped error answer, for refusals made before Apollo sees the request. */
export function graphqlErrorBody(message: string, code: RequestErrorCode, extensions: Record<string, unknown> = {}) {
  return { errors: [{ message, extensions: { code, ...extensions } }] };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
