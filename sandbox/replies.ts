// What the sandbox sends: HighLevel's bodies and error shapes, the faults' odd answers, and how an
// outcome (a reply, a reset, a stalled body) is written to the socket.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault, SandboxConversation } from './data.js';

/** What a request ends in: an HTTP reply, silence, or a reset connection. */
export type Outcome = { kind: 'reply'; reply: Reply } | { kind: 'hang' } | { kind: 'reset' } | { kind: 'stall' };

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

/**
 * HighLevel's error bodies (NestJS's shape). Every error carries a traceId, as HighLevel's do, so that
 * clients can be checked for logging it.
 */
export function errorReply(status: number, message: string | string[], error?: string): Reply {
  const body: Record<string, unknown> = { statusCode: status, message };
  if (error !== undefined) body['error'] = error;
  body['traceId'] = randomUUID();
  return jsonReply(status, body);
}

/** The documented body for a status, used by `status` faults that bring no body of their own. */
export function documentedError(status: number): Reply {
  switch (status) {
    case 400:
      return errorReply(400, 'Bad Request', 'Bad Request');
    case 401:
      return errorReply(401, 'Invalid token: access token is invalid', 'Unauthorized');
    case 403:
      return errorReply(403, 'The token does not have access to this location.');
    case 404:
      return errorReply(404, 'Conversation not found', 'Not Found');
    case 422:
      return errorReply(422, ['Unprocessable Entity'], 'Unprocessable Entity');
    case 429:
      return errorReply(429, 'Too many requests', 'Too Many Requests');
    case 500:
      return errorReply(500, 'Internal server error');
    default: {
      const reason = STATUS_CODES[status] ?? 'Error';
      return errorReply(status, reason, reason);
    }
  }
}

export function echoTokenReply(authorization: string, status: number): Reply {
  const credential = authorization.trim().split(/\s+/).pop() ?? '';
  return jsonReply(status, {
    statusCode: status,
    message: [`Invalid credentials: ${authorization}`, `token ${credential.toUpperCase()} rejected`, `(${credential.toLowerCase()})`],
    traceId: `trace-${credential}`,
  });
}

export function statusFaultReply(fault: Extract<Fault, { kind: 'status' }>): Reply {
  const headers = fault.headers ?? {};
  if (fault.body === undefined) {
    const reply = documentedError(fault.status);
    return { ...reply, headers: { ...reply.headers, ...headers } };
  }
  if (typeof fault.body === 'string') {
    // Sent byte for byte, so tests can serve truncated JSON or plain text under any content-type.
    return { status: fault.status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body: fault.body };
  }
  return jsonReply(fault.status, fault.body, headers);
}

const CDN_ERROR_PAGE = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Just a moment...</title></head>
<body>
<h1>Checking your browser before accessing services.leadconnectorhq.com</h1>
<p>This process is automatic. Your browser will redirect to your requested content shortly.</p>
<p>Ray ID: 8f3a9c1e7b2d4a60</p>
</body>
</html>
`;

export function notJsonReply(): Reply {
  return { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: CDN_ERROR_PAGE };
}

/** A real-looking conversation padded with an extra key to `bytes` bytes. */
export function oversizedReply(bytes: number): Reply {
  const base = { id: 'oversized', contactId: 'c', locationId: 'l', deleted: false, inbox: true, type: 1, unreadCount: 0 };
  const overhead = JSON.stringify({ ...base, padding: '' }).length;
  return jsonReply(200, { ...base, padding: 'x'.repeat(Math.max(0, bytes - overhead)) });
}

export function conversationReply(conversation: SandboxConversation): Reply {
  if (conversation.wrapped) {
    return jsonReply(200, { success: true, conversation: conversation.body, traceId: randomUUID() });
  }
  return jsonReply(200, conversation.body);
}

export function deliver(req: IncomingMessage, res: ServerResponse, outcome: Exclude<Outcome, { kind: 'hang' }>): void {
  if (res.destroyed || res.writableEnded) return; // the client left while we were waiting
  if (outcome.kind === 'reset') {
    // resetAndDestroy() sends a TCP RST, so the client sees ECONNRESET rather than a clean close.
    req.socket.resetAndDestroy();
    return;
  }
  if (outcome.kind === 'stall') {
    // Promise twice what is sent, then send nothing more: the client waits for the rest until it gives up.
    const start = '{"id":"stalled","contactId":"x","locationId":"y","deleted":false';
    res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': String(start.length * 2) });
    res.write(start);
    return;
  }
  const { status, headers, body } = outcome.reply;
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, { ...headers, 'Content-Length': String(bytes.length) });
  res.end(bytes);
}
