// Reference proxy 1 (the floor): the bench's GraphQL requests answered with bare node:http upstream GETs.
// Usage (started by run.mjs): node bench/proxy-http.mjs <upstream base URL> <API version>
//
// Upstream client: http.request() on one keep-alive Agent (maxSockets 512 as the service's agent, and
// maxFreeSockets 512 so that bursts never close idle sockets; the same agent as proxy-got.mjs), the
// same request headers as the service (Version, Accept, User-Agent, the caller's Authorization), the
// body read as a UTF-8 string. No timeout, no retry, no abort signal: the least a proxy can do.
import http from 'node:http';
import { startProxy } from './lib/proxy-common.mjs';

const [baseUrl, apiVersion = '2021-07-28'] = process.argv.slice(2);
const upstream = new URL(baseUrl);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 512 });
const userAgent = `bench-proxy-http node/${process.versions.node}`;

function fetchConversation(id, authorization) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: upstream.hostname,
        port: upstream.port,
        method: 'GET',
        path: `/conversations/${encodeURIComponent(id)}`,
        headers: { version: apiVersion, accept: 'application/json', 'user-agent': userAgent, authorization },
      },
      (response) => {
        response.setEncoding('utf8');
        let body = '';
        response.on('data', (chunk) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

startProxy('http-proxy', fetchConversation);
