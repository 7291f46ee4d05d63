// The part the two reference proxies share: an HTTP front that takes the bench's GraphQL requests and
// answers the JSON the service would, around an upstream `fetchConversation(id, authorization)` that
// each proxy implements with its own HTTP client (node:http or got). Everything here is identical for
// both proxies, so the difference between them is exactly the upstream client.
//
// What a proxy does per request, and nothing more:
//   1. reads the POST body and JSON.parse()s it;
//   2. recognises the bench's three operation shapes by their variables (it does not parse GraphQL):
//      `variables.id` (one conversation), `variables.representations` (`_entities`), `variables.i0..iN`
//      (aliases `c0..cN`);
//   3. makes one upstream GET per distinct id, all at once (no per-operation concurrency cap), forwarding
//      the caller's Authorization header;
//   4. JSON.parse()s each upstream body, unwraps `{ success, conversation }`, maps the nine fields the bench
//      asks for (type number to the ChannelType name, starred false and assignedTo null when absent);
//   5. answers `{"errors":[...],"data":{...}}` with the service's error shape for a failed id (message,
//      locations of the field in the document, path, extensions.code and extensions.upstream).
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

const CHANNEL_TYPES = new Map([
  [1, 'PHONE'],
  [2, 'EMAIL'],
  [3, 'FACEBOOK_MESSENGER'],
  [4, 'REVIEW'],
  [5, 'GROUP_SMS'],
  [6, 'INTERNAL_CHAT'],
]);

function conversationFields(record) {
  return {
    id: record.id,
    contactId: record.contactId,
    locationId: record.locationId,
    deleted: record.deleted,
    inbox: record.inbox,
    type: CHANNEL_TYPES.get(record.type) ?? 'UNKNOWN',
    unreadCount: record.unreadCount,
    assignedTo: record.assignedTo ?? null,
    starred: record.starred ?? false,
  };
}

const CODE_BY_STATUS = new Map([
  [400, 'BAD_USER_INPUT'],
  [401, 'UNAUTHENTICATED'],
  [403, 'FORBIDDEN'],
  [404, 'NOT_FOUND'],
  [422, 'UNPROCESSABLE_ENTITY'],
  [429, 'RATE_LIMITED'],
]);

/** Where a response key (alias or field name) starts in the document, as GraphQL's `locations`; cached. */
const locationCache = new Map();
function locationOf(query, key) {
  const cacheKey = `${key}\u0000${query}`;
  let location = locationCache.get(cacheKey);
  if (location === undefined) {
    const match = new RegExp(`(?<![\\w$])${key}\\s*[:(]`).exec(query);
    const index = match ? match.index : 0;
    const before = query.slice(0, index);
    const line = before.split('\n').length;
    const column = index - before.lastIndexOf('\n');
    location = [{ line, column }];
    if (locationCache.size < 100) locationCache.set(cacheKey, location);
  }
  return location;
}

/** An upstream answer as a field value, or an error in the service's shape. */
function outcomeOf(answer, id) {
  if (answer.status >= 200 && answer.status < 300) {
    const body = JSON.parse(answer.body);
    const record = body && typeof body.conversation === 'object' && 'success' in body ? body.conversation : body;
    return { value: conversationFields(record) };
  }
  let parsed;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    parsed = {};
  }
  const messages = Array.isArray(parsed.message) ? parsed.message : parsed.message === undefined ? [] : [String(parsed.message)];
  const upstream = { status: answer.status, messages };
  if (typeof parsed.traceId === 'string') upstream.traceId = parsed.traceId;
  const code = CODE_BY_STATUS.get(answer.status) ?? 'UPSTREAM_ERROR';
  const message = answer.status === 404 ? `Conversation "${id}" was not found` : `HighLevel answered ${answer.status} for conversation "${id}"`;
  return { error: { message, extensions: { code, upstream } } };
}

function failureOutcome(error) {
  return { error: { message: `HighLevel could not be reached: ${error.code ?? error.message}`, extensions: { code: 'UPSTREAM_UNREACHABLE' } } };
}

/** The lookups of one request: [responseKey or index, id] pairs, and how to assemble `data`. */
function plan(variables) {
  if (Array.isArray(variables.representations)) {
    return { kind: 'entities', ids: variables.representations.map((representation) => representation.id) };
  }
  if (typeof variables.id === 'string') return { kind: 'one', ids: [variables.id] };
  const ids = [];
  for (let i = 0; typeof variables[`i${i}`] === 'string'; i += 1) ids.push(variables[`i${i}`]);
  return { kind: 'aliases', ids };
}

async function answer(body, authorization, fetchConversation) {
  const { query = '', variables = {} } = JSON.parse(body);
  const { kind, ids } = plan(variables);
  // One upstream call per distinct id, all started at once.
  const calls = new Map();
  for (const id of ids) {
    if (!calls.has(id)) {
      calls.set(
        id,
        fetchConversation(id, authorization).then(
          (upstreamAnswer) => outcomeOf(upstreamAnswer, id),
          (error) => failureOutcome(error),
        ),
      );
    }
  }
  const outcomes = await Promise.all(ids.map((id) => calls.get(id)));
  const errors = [];
  const fieldOf = (outcome, key, path) => {
    if (outcome.error === undefined) return outcome.value;
    errors.push({ message: outcome.error.message, locations: locationOf(query, key), path, extensions: outcome.error.extensions });
    return null;
  };
  let data;
  if (kind === 'one') {
    data = { conversation: fieldOf(outcomes[0], 'conversation', ['conversation']) };
  } else if (kind === 'entities') {
    data = { _entities: outcomes.map((outcome, index) => fieldOf(outcome, '_entities', ['_entities', index])) };
  } else {
    data = {};
    outcomes.forEach((outcome, index) => {
      data[`c${index}`] = fieldOf(outcome, `c${index}`, [`c${index}`]);
    });
  }
  // Apollo Server ends its JSON with a newline; so does this, to answer byte for byte the same.
  return `${JSON.stringify(errors.length > 0 ? { errors, data } : { data })}\n`;
}

/**
 * Starts a reference proxy on 127.0.0.1 (ephemeral port) and tells the parent process its port over IPC.
 * @param {(id: string, authorization: string) => Promise<{ status: number, body: string }>} fetchConversation
 */
export function startProxy(name, fetchConversation) {
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":"not found"}');
      return;
    }
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      answer(Buffer.concat(chunks).toString('utf8'), req.headers.authorization ?? '', fetchConversation).then(
        (json) => {
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json) });
          res.end(json);
        },
        (error) => {
          const json = `${JSON.stringify({ errors: [{ message: String(error?.message ?? error), extensions: { code: 'INTERNAL_SERVER_ERROR' } }] })}\n`;
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
          res.end(json);
        },
      );
    });
  });
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', name, port: server.address().port });
  });
  // The parent's exit closes the IPC channel: leave with it.
  process.on('disconnect', () => process.exit(0));
  return server;
}
