// System tier: the built service as a user runs it (`npm start` = node dist/main.js): configuration errors and an
// orderly stop on SIGTERM. `npm test` builds dist/ before Jest runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { createClient } from 'graphql-ws';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS } from '../sandbox/data.js';
import { type SandboxUpstream, startSandboxUpstream } from '../sandbox/upstream.js';
import { LOCATION_A, postGraphQL } from './support/stack.js';

const MAIN = new URL('../dist/main.js', import.meta.url).pathname;

function run(env: Record<string, string>): { child: ChildProcess; stdout: string[]; stderr: string[]; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (chunk) => stdout.push(String(chunk)));
  child.stderr?.on('data', (chunk) => stderr.push(String(chunk)));
  // 'close', not 'exit': only then has everything the child wrote to stdout and stderr been read.
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout, stderr, exit };
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const lineMatching = (chunks: string[], pattern: RegExp) =>
  waitFor(() => chunks.join('').split('\n').find((line) => pattern.test(line)), `a line matching ${pattern}`);

let sandbox: SandboxUpstream;
beforeAll(async () => {
  expect(existsSync(MAIN)).toBe(true);
  sandbox = await startSandboxUpstream();
});
afterAll(async () => {
  await sandbox.close();
});

describe('npm start', () => {
  it('exits with 2 and one line naming the variable when the configuration is invalid', async () => {
    const { stderr, exit } = run({ HIGHLEVEL_TIMEOUT_MS: 'soon' });
    expect(await exit).toBe(2);
    expect(stderr.join('')).toBe('Invalid configuration: HIGHLEVEL_TIMEOUT_MS must be a whole number\n');
  });

  it('serves, then on SIGTERM finishes the request in flight and exits 0', async () => {
    const service = run({ PORT: '0', HIGHLEVEL_API_URL: sandbox.url, LOG_LEVEL: 'info' });
    try {
      const started = JSON.parse(await lineMatching(service.stdout, /listening/)) as { url: string };
      // Expected errors carry no stack trace, even outside production (NODE_ENV is unset here).
      const missing = await postGraphQL(started.url, `{ conversation(id: "${SANDBOX_IDS.missing}") { id } }`, { token: LOCATION_A.token });
      expect(missing.body.errors?.[0]?.extensions).toEqual({
        code: 'NOT_FOUND',
        upstream: { status: 404, messages: ['Conversation not found'], traceId: expect.any(String) },
      });
      const slow = postGraphQL(started.url, `{ conversation(id: "${SANDBOX_FAULT_IDS.slow}") { id } }`, { token: LOCATION_A.token });
      await waitFor(() => (sandbox.callsFor(SANDBOX_FAULT_IDS.slow) > 0 ? true : undefined), 'the slow request to reach the sandbox');
      service.child.kill('SIGTERM');
      const answer = await slow;
      expect(answer.body).toEqual({ data: { conversation: { id: SANDBOX_FAULT_IDS.slow } } });
      expect(await service.exit).toBe(0);
      const lines = service.stdout.join('').trim().split('\n').map((line) => JSON.parse(line) as { msg: string });
      expect(lines.map((line) => line.msg)).toEqual(
        expect.arrayContaining(['conversations GraphQL service listening', 'stopping: finishing in-flight requests', 'stopped']),
      );
    } finally {
      service.child.kill('SIGKILL');
    }
  });

  it('on SIGTERM with 50 idle, silent and half-sent connections open, exits 0 at once', async () => {
    const service = run({ PORT: '0', HIGHLEVEL_API_URL: sandbox.url, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '10000' });
    const sockets: net.Socket[] = [];
    try {
      const { url } = JSON.parse(await lineMatching(service.stdout, /listening/)) as { url: string };
      const port = Number(new URL(url).port);
      for (let index = 0; index < 50; index++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        await new Promise((resolve) => socket.once('connect', resolve));
        // A third answered and idle (keep-alive), a third silent, a third with headers half sent.
        if (index % 3 === 0) socket.write('GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n');
        if (index % 3 === 1) socket.write('POST /graphql HTTP/1.1\r\nHost: test\r\n');
        sockets.push(socket);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const signalled = Date.now();
      service.child.kill('SIGTERM');
      expect(await service.exit).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(3000);
    } finally {
      service.child.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
    }
  });
});

/** `npm run sandbox` as a process on free ports: its stdout lines as they come, and its exit code. */
function startSandboxMain(): { child: ChildProcess; stdout: string[]; exit: Promise<number | null> } {
  const sandboxMain = new URL('../dist-dev/sandbox/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [sandboxMain], { env: { PATH: process.env.PATH ?? '', PORT: '0', SANDBOX_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  child.stdout?.on('data', (chunk) => stdout.push(String(chunk)));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout, exit };
}

describe('npm run sandbox (node dist-dev/sandbox/main.js)', () => {
  it("runs the banner's live demo: its subscription, its curl's change, the update; then SIGTERM completes the subscription and closes with 1001", async () => {
    const { child, stdout, exit } = startSandboxMain();
    try {
      const url = (await lineMatching(stdout, /^GraphQL service: +http/)).replace(/^GraphQL service: +/, '').trim();
      const subscription = (await lineMatching(stdout, /^ {2}subscription Live/)).trim();
      const curl = (await lineMatching(stdout, /^ {2}curl -s -X POST/)).trim();
      const [, changeUrl, body] = /-X POST (\S+) -d '(.+)'$/.exec(curl) ?? [];
      const events: string[] = [];
      let closeCode = 0;
      const client = createClient({
        url: url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${LOCATION_A.token}` },
        retryAttempts: 0,
        // Kept open when its subscriptions end (a lazy client would close it itself, with 1000).
        lazy: false,
        onNonLazyError: () => undefined,
        on: { closed: (event) => (closeCode = (event as CloseEvent).code) },
      });
      const completed = new Promise<string>((resolve) => {
        client.subscribe({ query: subscription }, { next: (result) => void events.push(JSON.stringify(result.data)), error: () => resolve('error'), complete: () => resolve('complete') });
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const change = await fetch(changeUrl as string, { method: 'POST', body });
      expect(change.status).toBe(200);
      for (let i = 0; i < 200 && events.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(events).toEqual([JSON.stringify({ conversationUpdated: { id: SANDBOX_IDS.phone, unreadCount: 5, starred: false, inbox: true } })]);
      child.kill('SIGTERM');
      expect(await completed).toBe('complete');
      expect(await exit).toBe(0);
      expect(closeCode).toBe(1001);
      await client.dispose();
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('serves the sandbox and the service, then stops both on SIGTERM with one "stopping" line', async () => {
    const { child, stdout, exit } = startSandboxMain();
    try {
      const banner = await lineMatching(stdout, /^GraphQL service: +http/);
      const url = banner.replace(/^GraphQL service: +/, '').trim();
      expect(stdout.join('')).toContain(`reads: ${SANDBOX_IDS.phone}`);
      const answer = await postGraphQL(url, `{ conversation(id: "${SANDBOX_IDS.phone}") { id } }`, { token: LOCATION_A.token });
      expect(answer.body).toEqual({ data: { conversation: { id: SANDBOX_IDS.phone } } });
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(stdout.join('')).toMatch(/"signal":"SIGTERM".*"msg":"stopping: the service drains, then the sandbox closes"/);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
