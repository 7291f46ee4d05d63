// System tier: a bounded soak of the built service (node dist/main.js, as `npm start` runs it): about 20 s at
// concurrency 50 over loopback, against a mix of the sandbox's fault modes. Every HTTP answer must be a
// well-formed GraphQL response, the process must log no unhandled rejection and stay up, and its memory
// after the soak must be within 20% of what it was after warm-up: the live heap after a full garbage
// collection (test/support/memory-probe.mjs), which is what a leak grows. RSS is printed too, but V8
// keeps memory it once used, so RSS mostly tells how busy the process was, not what it retains.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SANDBOX_FAULT_IDS, SANDBOX_IDS } from '../sandbox/data.js';
import { type SandboxUpstream, startSandboxUpstream } from '../sandbox/upstream.js';
import { LOCATION_A, LOCATION_B } from './support/stack.js';

const SOAK_MS = 20_000;
const WARM_UP_MS = 3_000;
const CONCURRENCY = 50;

// Mostly healthy reads, with every fault mode that resolves within the deadline mixed in.
const IDS = [
  SANDBOX_IDS.phone,
  SANDBOX_IDS.email,
  SANDBOX_IDS.facebook,
  SANDBOX_IDS.wrapped,
  SANDBOX_IDS.futureChannel,
  SANDBOX_IDS.missing,
  SANDBOX_IDS.otherLocation,
  SANDBOX_FAULT_IDS.internalError,
  SANDBOX_FAULT_IDS.unavailable,
  SANDBOX_FAULT_IDS.reset,
  SANDBOX_FAULT_IDS.notJson,
  SANDBOX_FAULT_IDS.invalidShape,
  SANDBOX_FAULT_IDS.hang,
  SANDBOX_FAULT_IDS.badRequest,
  '..',
];
// A 429 holds every call of its token (the daily quota one for hours), so 429s get a token of their own.
const RATE_LIMITED_TOKEN = 'pit-soak-only-for-429s';

let sandbox: SandboxUpstream;
let child: ChildProcess;
let graphqlUrl: string;
const stdout: string[] = [];
const stderr: string[] = [];

const probeDirectory = mkdtempSync(join(tmpdir(), 'soak-'));
const probeFile = join(probeDirectory, 'memory.json');

/** The service's memory after a full GC, as its preloaded probe reports it on SIGUSR2. */
async function memoryAfterGc(): Promise<{ heapUsed: number; rss: number }> {
  rmSync(probeFile, { force: true });
  child.kill('SIGUSR2');
  for (let i = 0; i < 200 && !existsSync(probeFile); i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
  await new Promise((resolve) => setTimeout(resolve, 25));
  return JSON.parse(readFileSync(probeFile, 'utf8')) as { heapUsed: number; rss: number };
}

beforeAll(async () => {
  // The soak sends far more than 100 calls per 10 s; the burst limit is tested elsewhere.
  sandbox = await startSandboxUpstream({ burstLimit: 1_000_000, requestLogLimit: 0 });
  const probe = new URL('./support/memory-probe.mjs', import.meta.url).pathname;
  child = spawn(process.execPath, ['--expose-gc', '--import', probe, new URL('../dist/main.js', import.meta.url).pathname], {
    env: {
      MEMORY_PROBE_FILE: probeFile,
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HIGHLEVEL_API_URL: sandbox.url,
      HIGHLEVEL_TIMEOUT_MS: '300',
      OPERATION_DEADLINE_MS: '2000',
      HIGHLEVEL_RETRY_BASE_DELAY_MS: '20',
      CIRCUIT_BREAKER_COOLDOWN_MS: '500',
      // A quarter of the mix fails on purpose: under the breaker's failure ratio (0.5), so every path stays exercised.
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => stdout.push(String(chunk)));
  child.stderr?.on('data', (chunk) => stderr.push(String(chunk)));
  // LOG_LEVEL=warn hides the "listening" line, so find the port from the process's own socket.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const port = listeningPort(child.pid ?? 0);
    if (port) {
      graphqlUrl = `http://127.0.0.1:${port}/graphql`;
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (health?.ok) break;
    }
    if (Date.now() > deadline) throw new Error(`service did not start: ${stderr.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 20_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await sandbox?.close();
  rmSync(probeDirectory, { recursive: true, force: true });
});

/** The TCP port a process listens on, from /proc (its own sockets in LISTEN state). */
function listeningPort(pid: number): number | undefined {
  if (!pid) return undefined;
  const inodes = new Set<string>();
  try {
    for (const fd of readFileSync(`/proc/${pid}/net/tcp6`, 'utf8').split('\n').slice(1)) {
      const columns = fd.trim().split(/\s+/);
      if (columns[3] === '0A') inodes.add(`${columns[9]}:${parseInt(columns[1]?.split(':')[1] ?? '0', 16)}`);
    }
  } catch {
    return undefined;
  }
  const own = new Set<string>();
  try {
    for (const link of readdirLinks(`/proc/${pid}/fd`)) {
      const match = /^socket:\[(\d+)\]$/.exec(link);
      if (match?.[1]) own.add(match[1]);
    }
  } catch {
    return undefined;
  }
  for (const entry of inodes) {
    const [inode, port] = entry.split(':');
    if (inode && own.has(inode)) return Number(port);
  }
  return undefined;
}

function readdirLinks(directory: string): string[] {
  return readdirSync(directory).map((name) => {
    try {
      return readlinkSync(`${directory}/${name}`);
    } catch {
      return '';
    }
  });
}

interface Tally {
  requests: number;
  malformed: string[];
  codes: Map<string, number>;
}

async function load(durationMs: number, tally: Tally): Promise<void> {
  const until = Date.now() + durationMs;
  let seed = 1;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const worker = async () => {
    while (Date.now() < until) {
      // Ids travel as variables, as real clients send them: a few documents, many values. (Inline ids
      // would make every request a new document and fill Apollo's bounded document cache, which is
      // growth by design, not a leak.)
      const limited = random() < 0.05;
      const aliases = 1 + Math.floor(random() * 3);
      const pick = () => (limited ? (random() < 0.5 ? SANDBOX_FAULT_IDS.burstLimited : SANDBOX_FAULT_IDS.dailyLimited) : IDS[Math.floor(random() * IDS.length)]);
      const variables = Object.fromEntries(Array.from({ length: aliases }, (_, i) => [`id${i}`, pick()]));
      const parameters = Object.keys(variables).map((name) => `$${name}: ID!`).join(', ');
      const fields = Object.keys(variables).map((name, i) => `a${i}: conversation(id: $${name}) { id type starred }`);
      const token = limited ? RATE_LIMITED_TOKEN : random() < 0.8 ? LOCATION_A.token : LOCATION_B.token;
      tally.requests += 1;
      try {
        const response = await fetch(graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: `query Soak(${parameters}) { ${fields.join(' ')} }`, variables }),
        });
        const text = await response.text();
        const body = JSON.parse(text) as { data?: Record<string, unknown>; errors?: Array<{ message?: unknown; extensions?: { code?: unknown } }> };
        const wellFormed =
          response.status === 200 &&
          typeof body.data === 'object' &&
          body.data !== null &&
          Object.keys(body.data).length === aliases &&
          (body.errors ?? []).every((error) => typeof error.message === 'string' && typeof error.extensions?.code === 'string');
        if (!wellFormed) tally.malformed.push(`${response.status} ${text.slice(0, 200)}`);
        for (const error of body.errors ?? []) {
          const code = String(error.extensions?.code);
          tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
        }
      } catch (error) {
        tally.malformed.push(`no answer: ${String(error)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

describe('soak', () => {
  it(`answers ${CONCURRENCY} concurrent clients with well-formed GraphQL for ${SOAK_MS / 1000} s, without leaking`, async () => {
    const warmUp: Tally = { requests: 0, malformed: [], codes: new Map() };
    await load(WARM_UP_MS, warmUp);
    // Let calls waiting on the hang fault time out, so that both readings see an idle service.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const before = await memoryAfterGc();

    const soak: Tally = { requests: 0, malformed: [], codes: new Map() };
    await load(SOAK_MS, soak);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const after = await memoryAfterGc();

    const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
    process.stdout.write(
      `soak: ${soak.requests} requests in ${SOAK_MS / 1000} s at concurrency ${CONCURRENCY}; ` +
        `heap after GC ${mib(before.heapUsed)} MiB after warm-up, ${mib(after.heapUsed)} MiB after soak ` +
        `(RSS ${mib(before.rss)} / ${mib(after.rss)} MiB); error codes ${JSON.stringify(Object.fromEntries(soak.codes))}\n`,
    );
    expect(soak.malformed.slice(0, 5)).toEqual([]);
    expect(soak.requests).toBeGreaterThan(1000);
    // The mix really exercised the failure paths.
    for (const code of ['NOT_FOUND', 'FORBIDDEN', 'UPSTREAM_TIMEOUT', 'UPSTREAM_INVALID_RESPONSE', 'BAD_USER_INPUT', 'RATE_LIMITED']) {
      expect(soak.codes.get(code) ?? 0).toBeGreaterThan(0);
    }
    expect(child.exitCode).toBeNull();
    expect(stderr.join('')).toBe('');
    expect(stdout.join('')).not.toMatch(/unhandled|uncaught/i);
    expect(after.heapUsed).toBeLessThanOrEqual(before.heapUsed * 1.2);
  }, SOAK_MS + WARM_UP_MS + 30_000);
});
