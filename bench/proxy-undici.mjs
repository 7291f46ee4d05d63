// Reference proxy 3: the same proxy as proxy-http.mjs, but every upstream GET goes through undici with
// the service's transport settings (src/upstream/transport.ts): one keep-alive Agent (512 connections,
// headers and body timeouts of 10 s), Agent.request with the origin, an AbortController and a timer per
// call, the body read in chunks under a 1 MiB cap. It measures what the service's transport costs alone.
// Usage (started by run.mjs): node bench/proxy-undici.mjs <upstream base URL> <API version>
import { clearTimeout, setTimeout } from 'node:timers';
import { Agent } from 'undici';
import { startProxy } from './lib/proxy-common.mjs';

const [baseUrl, apiVersion = '2021-07-28'] = process.argv.slice(2);
const origin = new URL(baseUrl).origin;
const MAX_RESPONSE_BYTES = 1_048_576;
const agent = new Agent({ connections: 512, headersTimeout: 10_000, bodyTimeout: 10_000, connectTimeout: 10_000 });
const headers = { version: apiVersion, accept: 'application/json', 'user-agent': `bench-proxy-undici node/${process.versions.node}` };

async function fetchConversation(id, authorization) {
  const abort = new globalThis.AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  try {
    const response = await agent.request({
      origin,
      path: `/conversations/${encodeURIComponent(id)}`,
      method: 'GET',
      headers: { ...headers, authorization },
      signal: abort.signal,
    });
    const chunks = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        response.body.destroy();
        throw new Error('too large');
      }
      chunks.push(chunk);
    }
    return { status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') };
  } finally {
    clearTimeout(timer);
  }
}

startProxy('undici-proxy', fetchConversation);
