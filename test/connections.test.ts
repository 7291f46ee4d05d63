// Integration tier: client connections over loopback, as an attacker or a careless client would hold them.
// Every connection is bounded in time, their number is capped, and stop() ends whatever clients do.
import net from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS } from '../sandbox/data.js';
import { LOCATION_A, postGraphQL, stackPerTest } from './support/stack.js';

const start = stackPerTest();
const QUERY = 'query One($id: ID!) { conversation(id: $id) { id } }';

/** A raw TCP connection to the service, with what it received and when the service closed it. */
async function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, closed, text: () => Buffer.concat(received).toString('latin1') };
}

const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: keep-alive\r\n\r\n`;
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), ms).unref())]);

describe('timeouts', () => {
  it('closes a connection that never sends a byte after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { service } = await start({ config: { http: { headersTimeoutMs: 1000 } } });
    const opened = Date.now();
    const silent = await connect(service.port);
    const closedAt = await within(silent.closed, 5000);
    expect(closedAt).not.toBe('still open');
    expect((closedAt as number) - opened).toBeGreaterThanOrEqual(900);
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS, and not before', async () => {
    const { service } = await start({ config: { http: { keepAliveTimeoutMs: 400 } } });
    const client = await connect(service.port);
    client.socket.write(request('/healthz'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.text()).toMatch(/^HTTP\/1\.1 200/);
    // Still usable within the timeout.
    client.socket.write(request('/readyz'));
    const answeredAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.text().match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    const closedAt = await within(client.closed, 3000);
    expect(closedAt).not.toBe('still open');
    expect((closedAt as number) - answeredAt).toBeGreaterThanOrEqual(300);
  });

  it('answers 408 and closes when a body trickles in for longer than HTTP_REQUEST_TIMEOUT_MS', async () => {
    const { service } = await start({ config: { http: { requestTimeoutMs: 1500, headersTimeoutMs: 1000 } } });
    const client = await connect(service.port);
    client.socket.write('POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const trickle = setInterval(() => client.socket.write(' '), 100);
    try {
      const closedAt = await within(client.closed, 6000);
      expect(closedAt).not.toBe('still open');
      expect(client.text()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
    }
  });

  it('does not cut a request in flight that waits on HighLevel for longer than the headers timeout', async () => {
    const { service } = await start({ config: { http: { headersTimeoutMs: 1000 }, upstream: { timeoutMs: 5000 } } });
    const slow = await postGraphQL(service.graphqlUrl, QUERY, { variables: { id: SANDBOX_FAULT_IDS.slow } });
    expect(slow.body).toEqual({ data: { conversation: { id: SANDBOX_FAULT_IDS.slow } } });
  });
});

describe('HTTP_MAX_CONNECTIONS', () => {
  it('closes connections over the cap as they arrive, counts them, and serves again below it', async () => {
    const { service } = await start({ config: { http: { maxConnections: 3 } } });
    const held = await Promise.all([connect(service.port), connect(service.port), connect(service.port)]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await connect(service.port);
    refused.socket.write(request('/healthz'));
    expect(await within(refused.closed, 2000)).not.toBe('still open');
    expect(refused.text()).toBe('');

    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/^http_connections_refused_total 1$/m);
    expect(metrics).toMatch(/^http_connections_open 1$/m);
  });
});

describe('stop()', () => {
  it('ends at once with idle, silent and half-sent connections open, and nothing in flight', async () => {
    const { service } = await start({ config: { http: { shutdownGraceMs: 10_000 } } });
    const idle = await Promise.all(Array.from({ length: 20 }, () => connect(service.port)));
    for (const connection of idle) connection.socket.write(request('/healthz'));
    const silent = await Promise.all(Array.from({ length: 20 }, () => connect(service.port)));
    const halfSent = await Promise.all(Array.from({ length: 20 }, () => connect(service.port)));
    for (const connection of halfSent) connection.socket.write('POST /graphql HTTP/1.1\r\nHost: test\r\n');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const started = Date.now();
    await service.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    const all = [...idle, ...silent, ...halfSent];
    expect(await within(Promise.all(all.map((connection) => connection.closed)), 1000)).not.toBe('still open');
  });

  it('lets a request in flight finish within the grace, then destroys every socket', async () => {
    const { service, sandbox } = await start({ config: { http: { shutdownGraceMs: 4000 }, upstream: { timeoutMs: 5000 } } });
    const silent = await connect(service.port);
    const slow = postGraphQL(service.graphqlUrl, QUERY, { variables: { id: SANDBOX_FAULT_IDS.slow } });
    while (sandbox.callsFor(SANDBOX_FAULT_IDS.slow) === 0) await new Promise((resolve) => setTimeout(resolve, 20));

    const stopped = service.stop();
    // The silent connection goes at once; the slow operation still gets its answer.
    expect(await within(silent.closed, 500)).not.toBe('still open');
    expect((await slow).body).toEqual({ data: { conversation: { id: SANDBOX_FAULT_IDS.slow } } });
    await stopped;
    await expect(postGraphQL(service.graphqlUrl, QUERY, { variables: { id: SANDBOX_IDS.phone }, token: LOCATION_A.token })).rejects.toThrow();
  });

  it('ends by the grace whatever in-flight clients do', async () => {
    const { service, sandbox } = await start({ config: { http: { shutdownGraceMs: 500 }, upstream: { coalesce: false } } });
    // A first answer tells the token's location, so the five calls below start together.
    await postGraphQL(service.graphqlUrl, QUERY, { variables: { id: SANDBOX_IDS.phone } });
    const hanging = Array.from({ length: 5 }, () =>
      postGraphQL(service.graphqlUrl, QUERY, { variables: { id: SANDBOX_FAULT_IDS.hang } }).then(
        () => 'answered',
        () => 'cut off',
      ),
    );
    const trickling = await connect(service.port);
    trickling.socket.write('POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
    while (sandbox.callsFor(SANDBOX_FAULT_IDS.hang) < 5) await new Promise((resolve) => setTimeout(resolve, 20));

    const started = Date.now();
    await service.stop();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(450);
    expect(took).toBeLessThan(2000);
    expect(await Promise.all(hanging)).toEqual(Array(5).fill('cut off'));
    expect(await within(trickling.closed, 500)).not.toBe('still open');
  });
});
