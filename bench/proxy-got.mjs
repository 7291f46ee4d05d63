// Reference proxy 2 (the layer's own overhead): the same proxy as proxy-http.mjs, but every upstream GET
// goes through got configured and called as the service's client (src/upstream/client.ts) does.
// Usage (started by run.mjs): node bench/proxy-got.mjs <upstream base URL> <API version>
//
// Instance (built once): prefixUrl; headers Version, Accept, User-Agent; agent { http, https } keep-alive
// Agents with maxSockets 512 (and maxFreeSockets 512, the same agent as proxy-http.mjs, so that the two
// proxies differ only by got); timeout { request: 10000 }; retry limited as the service's retry-policy.ts
// (limit 2, GET only, statuses 429/502/503/504, errors ECONNRESET/ECONNREFUSED/EPIPE, maxRetryAfter
// unbounded, a calculateDelay function); hooks beforeRequest/beforeRetry/afterResponse present (with
// trivial bodies: the service's own hooks do rate-limit bookkeeping, which is the service's work, not
// got's); throwHttpErrors false; followRedirect false; responseType 'text'.
// Per call, as the service: the caller's Authorization header, a `context` object, an AbortController
// `signal` with a deadline timer cleared when the call ends, and a `downloadProgress` listener (the
// service's body-size cut-off).
import http from 'node:http';
import https from 'node:https';
import { clearTimeout, setTimeout } from 'node:timers';
import got from 'got';
import { startProxy } from './lib/proxy-common.mjs';

const [baseUrl, apiVersion = '2021-07-28'] = process.argv.slice(2);
const MAX_RESPONSE_BYTES = 1_048_576;
const DEADLINE_MS = 15_000;
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 512 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 512 }),
};

const client = got.extend({
  prefixUrl: `${baseUrl.replace(/\/+$/, '')}/`,
  headers: { version: apiVersion, accept: 'application/json', 'user-agent': `bench-proxy-got node/${process.versions.node}` },
  agent: agents,
  timeout: { request: 10_000 },
  retry: {
    limit: 2,
    methods: ['GET'],
    statusCodes: [429, 502, 503, 504],
    errorCodes: ['ECONNRESET', 'ECONNREFUSED', 'EPIPE'],
    maxRetryAfter: Number.MAX_SAFE_INTEGER,
    calculateDelay: ({ attemptCount, computedValue }) => (computedValue === 0 ? 0 : Math.min(200 * 2 ** (attemptCount - 1), 6400)),
  },
  hooks: {
    beforeRequest: [
      (options) => {
        options.context.attempts += 1;
      },
    ],
    beforeRetry: [() => {}],
    afterResponse: [(response) => response],
  },
  throwHttpErrors: false,
  followRedirect: false,
  responseType: 'text',
});

async function fetchConversation(id, authorization) {
  const abort = new globalThis.AbortController();
  let tooLarge = false;
  const deadlineTimer = setTimeout(() => abort.abort(), DEADLINE_MS);
  try {
    const request = client.get(`conversations/${encodeURIComponent(id)}`, {
      headers: { authorization },
      context: { conversationId: id, attempts: 0 },
      signal: abort.signal,
    });
    request.on('downloadProgress', ({ transferred, total }) => {
      if (!tooLarge && (transferred > MAX_RESPONSE_BYTES || (total ?? 0) > MAX_RESPONSE_BYTES)) {
        tooLarge = true;
        abort.abort();
      }
    });
    const response = await request;
    return { status: response.statusCode, body: response.body };
  } finally {
    clearTimeout(deadlineTimer);
  }
}

startProxy('got-proxy', fetchConversation);
