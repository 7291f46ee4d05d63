// `node bench/run.mjs`: the side-by-side benchmark (see docs/performance.md).
//
// Starts, each in its own process (CPU and memory are read per process from /proc): the sandbox
// upstream, the service (node dist/main.js), the conventional peer (bench/peer-rest-datasource.mjs:
// Apollo Server with one RESTDataSource per request) and three reference proxies (bench/proxy-http.mjs,
// bench/proxy-undici.mjs, bench/proxy-got.mjs). Then, per workload and round, loads each with autocannon (run in
// this process) and measures throughput, latency, CPU per request, upstream calls per operation, new
// upstream sockets and peak RSS. Writes bench/results/latest.json and latest.svg (figures of earlier runs
// live as tables in docs/performance.md, not as files) and
// prints a table. Durations and rounds come from BENCH_* variables (see `settingsFromEnv`).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { renderChart } from './lib/chart.mjs';
import { formatProfileSummary, summariseProfile } from './profile-top.mjs';
import { cpuMicros, machine, memoryKb, resetPeakRss } from './lib/proc.mjs';
import { buildWorkloads, FAN_OUT_POOL } from './lib/workloads.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const DIST = join(ROOT, 'dist');
/** The development build (npm run build:dev): the sandbox and the service modules it imports. */
const DIST_DEV = join(ROOT, 'dist-dev');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const API_VERSION = '2021-07-28';
const TARGETS = ['http-proxy', 'undici-proxy', 'got-proxy', 'rest-datasource', 'service'];
/** Every target but the service: the service's ratios are computed against each. */
const REFERENCES = TARGETS.filter((target) => target !== 'service');
/** How each reference is named in the ratio lines. */
const SHORT = { 'http-proxy': 'node:http', 'undici-proxy': 'undici', 'got-proxy': 'got', 'rest-datasource': 'RESTDataSource peer' };
/** A second service process with HIGHLEVEL_COALESCE_INFLIGHT=false, for the workloads that compare coalescing. */
const UNCOALESCED = 'service-uncoalesced';
const targetsOf = (workload) => (workload.compareCoalescing ? [...TARGETS, UNCOALESCED] : TARGETS);

// ---------------------------------------------------------------------------------------------------------
// Settings

function numberFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function settingsFromEnv() {
  return {
    /** Measured seconds per phase of the loaded workloads (the issue asks 8; see docs for the 4-minute budget). */
    seconds: numberFromEnv('BENCH_SECONDS', 5),
    /** Warm-up before a target's very first phase: a fresh process, whose JIT is still cold. */
    firstWarmupSeconds: numberFromEnv('BENCH_FIRST_WARMUP_SECONDS', 2),
    /** Warm-up before a target's first phase of a workload. */
    warmupSeconds: numberFromEnv('BENCH_WARMUP_SECONDS', 1),
    /** Warm-up before its later phases (reopens keep-alive sockets the sandbox closed while idle). */
    rewarmSeconds: numberFromEnv('BENCH_REWARM_SECONDS', 0.5),
    /** Rounds (each: the three targets) of the main workloads (one id, 50 ids, _entities). */
    rounds: numberFromEnv('BENCH_ROUNDS', 3),
    /** Rounds of the 404 workload. */
    errorRounds: numberFromEnv('BENCH_404_ROUNDS', 1),
    /** Measured seconds and rounds of the hot-ids workload (coalescing on and off: four targets). */
    hotSeconds: numberFromEnv('BENCH_HOT_SECONDS', 3),
    hotRounds: numberFromEnv('BENCH_HOT_ROUNDS', 1),
    /** Measured seconds and rounds of the 1-connection workloads. */
    unloadedSeconds: numberFromEnv('BENCH_UNLOADED_SECONDS', 2),
    unloadedRounds: numberFromEnv('BENCH_UNLOADED_ROUNDS', 1),
    connections: numberFromEnv('BENCH_CONNECTIONS', 32),
    latencyMs: numberFromEnv('BENCH_LATENCY_MS', 2),
    /** The sandbox's burst window: the service's per-token limiter keeps about one window of call times. */
    burstIntervalMs: numberFromEnv('BENCH_BURST_INTERVAL_MS', 1000),
    /** Comma-separated workload names to run (default: all). */
    only: (process.env.BENCH_WORKLOADS ?? '').split(',').map((name) => name.trim()).filter(Boolean),
    build: process.env.BENCH_SKIP_BUILD !== '1',
    /** Runs the service and both proxies under `node --cpu-prof` (slower: not for the headline numbers). */
    cpuProf: process.env.BENCH_CPU_PROF === '1',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

const startedAt = performance.now();
const loadAverageAtStart = os.loadavg();
const runStamp = new Date().toISOString().replace(/[:.]/g, '-');
function progress(message) {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
}

function median(values) {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

const round2 = (value) => (value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value * 100) / 100);

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child processes (each started here, and only these are ever stopped)

const children = [];

function captureTail(stream, name) {
  let tail = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk) => {
    tail = (tail + chunk).slice(-4000);
  });
  return () => (tail ? `\n--- last output of ${name} ---\n${tail}` : '');
}

/** Starts a Node script with an IPC channel; resolves with its first `ready` message. */
function startIpcChild(name, script, args, nodeOptions = []) {
  const child = spawn(process.execPath, [...nodeOptions, script, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  children.push(child);
  const tail = captureTail(child.stderr, name);
  const ready = new Promise((resolveReady, reject) => {
    child.once('message', (message) => (message?.type === 'ready' ? resolveReady(message) : reject(new Error(`${name}: unexpected ${JSON.stringify(message)}`))));
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready${tail()}`)));
  });
  return { child, ready, tail };
}

let statsSequence = 0;
function sandboxStats(sandbox) {
  const id = (statsSequence += 1);
  return new Promise((resolveStats) => {
    const onMessage = (message) => {
      if (message?.type === 'stats' && message.id === id) {
        sandbox.off('message', onMessage);
        resolveStats(message);
      }
    };
    sandbox.on('message', onMessage);
    sandbox.send({ type: 'stats', id });
  });
}

/** Waits until the sandbox has seen no new request for 150 ms (operations cut off by a warm-up finish). */
async function settle(sandbox) {
  let last = (await sandboxStats(sandbox)).totalCalls;
  let stable = 0;
  for (let i = 0; i < 100 && stable < 3; i += 1) {
    await sleep(50);
    const now = (await sandboxStats(sandbox)).totalCalls;
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
}

async function waitForReady(url, child, tail) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}${tail()}`);
    try {
      const response = await globalThis.fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the service did not answer ${url} within 30 s${tail()}`);
}

/** Stops the children the way that lets `--cpu-prof` write its profile, and waits (at most 20 s). */
async function stopChildrenGracefully() {
  const exits = children.filter((child) => child.exitCode === null && child.signalCode === null).map((child) => new Promise((resolveExit) => child.once('exit', resolveExit)));
  for (const child of children) {
    if (child.connected) child.disconnect();
    else if (child.exitCode === null) child.kill('SIGTERM');
  }
  await Promise.race([Promise.all(exits), sleep(20_000)]);
}

function stopChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Load

function cannon(options, onResponse, { stopAfterMs, onStop } = {}) {
  return new Promise((resolveRun, reject) => {
    let timer;
    const instance = autocannon({ sampleInt: 100, timeout: 30, ...options }, (error, result) => {
      clearTimeout(timer);
      if (error) reject(error);
      else resolveRun(result);
    });
    if (onResponse) instance.on('response', onResponse);
    if (stopAfterMs !== undefined) {
      timer = setTimeout(() => {
        onStop?.();
        instance.stop();
      }, stopAfterMs);
    }
  });
}

/** Counts answers carrying GraphQL errors (`{"errors":...`), keeping the first one as a sample. */
function errorCounter() {
  const counter = { withErrors: 0, sample: undefined };
  counter.onResponse = (status, body) => {
    if (status !== 200 || body.startsWith('{"errors"')) {
      counter.withErrors += 1;
      counter.sample ??= `${status} ${body.slice(0, 600)}`;
    }
  };
  return counter;
}

/** Where each workload's rotation stands: it continues across phases and targets. */
const rotation = new Map();

function requestOptions(url, workload, authorization, counter) {
  const { bodies } = workload;
  return {
    url,
    connections: workload.connections,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', authorization },
        setupRequest: (request) => {
          const next = rotation.get(workload.name) ?? 0;
          request.body = bodies[next % bodies.length];
          rotation.set(workload.name, next + 1);
          return request;
        },
        onResponse: (status, body) => counter?.onResponse(status, body),
      },
    ],
  };
}

/**
 * One phase: warm-up (not measured), settle, then exactly `amount` requests (autocannon's amount mode: no
 * request is cut off at the end, so upstream calls per operation are exact), sized from the expected rate
 * so that the phase lasts about `seconds`.
 */
async function runPhase({ env, target, workload, warmupSeconds, seconds, expectedRps }) {
  const { pid, url } = env.targets[target];
  const base = requestOptions(url, workload, env.authorization);
  const counter = errorCounter();
  const measured = requestOptions(url, workload, env.authorization, counter);
  const peakResettable = resetPeakRss(pid);
  let rps = expectedRps;
  if (warmupSeconds > 0) {
    // The rate over the warm-up's second half (the first is the coldest) sizes the measured phase when no
    // earlier phase of this target did.
    const warmStart = performance.now();
    const half = warmStart + (warmupSeconds * 1000) / 2;
    let lateResponses = 0;
    let lastWarmResponse = warmStart;
    const warm = await cannon({ ...base, duration: warmupSeconds }, () => {
      lastWarmResponse = performance.now();
      if (lastWarmResponse >= half) lateResponses += 1;
    });
    const warmRps = lateResponses > 0 && lastWarmResponse > half ? (lateResponses * 1000) / (lastWarmResponse - half) : warm.requests.total / Math.max(0.001, warm.duration);
    rps ??= warmRps;
    if (warm.errors > 0 || warm.non2xx > 0) progress(`  warning: warm-up of ${target} on ${workload.name}: ${warm.errors} errors, ${warm.non2xx} non-2xx`);
  }
  await settle(env.sandbox);
  const amount = Math.max(workload.connections * 3, Math.round((rps ?? 100) * seconds));
  const latencies = new Float64Array(amount);
  let count = 0;
  let lastResponseAt = 0;

  const sandboxBefore = await sandboxStats(env.sandbox);
  const cpuBefore = cpuMicros(pid);
  const sandboxCpuBefore = cpuMicros(env.sandbox.pid);
  const loadCpuBefore = process.cpuUsage();
  const t0 = performance.now();
  // A rate estimate far too high must not blow the time budget: stop at 4x the planned duration (the
  // phase is then marked `cut`, and its calls per operation are no longer exact).
  let cut = false;
  const result = await cannon(
    { ...measured, amount },
    (_client, _status, _bytes, responseTime) => {
      if (count < latencies.length) latencies[count] = responseTime;
      count += 1;
      lastResponseAt = performance.now();
    },
    { stopAfterMs: 4 * seconds * 1000 + 2000, onStop: () => (cut = true) },
  );
  const elapsedS = (lastResponseAt - t0) / 1000;
  const cpu = cpuMicros(pid) - cpuBefore;
  const sandboxCpu = cpuMicros(env.sandbox.pid) - sandboxCpuBefore;
  const loadCpu = process.cpuUsage(loadCpuBefore);
  await settle(env.sandbox);
  const sandboxAfter = await sandboxStats(env.sandbox);
  const memory = memoryKb(pid);

  const completed = result['2xx'] + result.non2xx;
  const upstreamCalls = sandboxAfter.totalCalls - sandboxBefore.totalCalls;
  const statuses = {};
  for (const [status, n] of Object.entries(sandboxAfter.statusCounts)) {
    const delta = n - (sandboxBefore.statusCounts[status] ?? 0);
    if (delta > 0) statuses[status] = delta;
  }
  const sorted = latencies.subarray(0, Math.min(count, latencies.length)).sort();
  return {
    target,
    requests: completed,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    answersWithGraphqlErrors: counter.withErrors,
    ...(counter.sample === undefined ? {} : { errorSample: counter.sample }),
    cut,
    durationS: round2(elapsedS),
    rps: round2(completed / elapsedS),
    latencyMs: {
      p50: round2(percentile(sorted, 50)),
      p90: round2(percentile(sorted, 90)),
      p99: round2(percentile(sorted, 99)),
      max: round2(sorted[sorted.length - 1]),
    },
    cpuUsPerRequest: round2(cpu / completed),
    cpuUsPerUpstreamCall: upstreamCalls > 0 ? round2(cpu / upstreamCalls) : null,
    cpuUtilization: round2(cpu / 1e6 / elapsedS),
    upstreamCalls,
    upstreamCallsPerOp: completed > 0 ? upstreamCalls / completed : null,
    upstreamStatuses: statuses,
    newUpstreamSockets: sandboxAfter.connections === null ? null : sandboxAfter.connections - sandboxBefore.connections,
    rssKb: memory.rssKb,
    peakRssKb: memory.peakRssKb,
    peakRssSince: peakResettable ? 'phase' : 'process start',
    sandboxCpuUsPerUpstreamCall: upstreamCalls > 0 ? round2(sandboxCpu / upstreamCalls) : null,
    loadGeneratorCpuUsPerRequest: round2((loadCpu.user + loadCpu.system) / completed),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Shape check: the proxies must answer what the service answers.

function normalise(json) {
  return json.replace(/"traceId":"[^"]*"/g, '"traceId":"-"');
}

async function shapeCheck(env, workloads) {
  const checks = [];
  for (const workload of workloads.filter((w) => !w.unloaded)) {
    // For the 404 workload, a body whose id is missing (every tenth).
    const body = workload.bodies[workload.name === 'one-id-404' ? 9 : 0];
    const answers = {};
    for (const target of TARGETS) {
      const response = await globalThis.fetch(`${env.targets[target].url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: env.authorization },
        body,
      });
      answers[target] = { status: response.status, body: normalise(await response.text()) };
    }
    const service = answers.service;
    const check = { workload: workload.name, serviceStatus: service.status, serviceHasErrors: service.body.includes('"errors"') };
    for (const proxy of REFERENCES) {
      check[proxy] = answers[proxy].status === service.status && answers[proxy].body === service.body ? 'identical' : 'different';
      if (check[proxy] !== 'identical') {
        progress(`  warning: ${proxy} answers ${workload.name} differently from the service:\n    service: ${service.body.slice(0, 300)}\n    ${proxy}: ${answers[proxy].body.slice(0, 300)}`);
      }
    }
    checks.push(check);
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------------------
// Summary, targets, table

function summarise(workload, phases) {
  const byTarget = {};
  for (const target of targetsOf(workload)) {
    const mine = phases.filter((phase) => phase.target === target);
    byTarget[target] = {
      rps: round2(median(mine.map((p) => p.rps))),
      p50: round2(median(mine.map((p) => p.latencyMs.p50))),
      p90: round2(median(mine.map((p) => p.latencyMs.p90))),
      p99: round2(median(mine.map((p) => p.latencyMs.p99))),
      cpuUsPerRequest: round2(median(mine.map((p) => p.cpuUsPerRequest))),
      cpuUsPerUpstreamCall: round2(median(mine.map((p) => p.cpuUsPerUpstreamCall))),
      upstreamCallsPerOp: mine.map((p) => p.upstreamCallsPerOp),
      newUpstreamSockets: mine.map((p) => p.newUpstreamSockets),
      peakRssKb: Math.max(...mine.map((p) => p.peakRssKb)),
      peakRssKbPerRound: mine.map((p) => p.peakRssKb),
      errors: mine.reduce((sum, p) => sum + p.errors + p.non2xx, 0),
    };
  }
  const rounds = [...new Set(phases.map((p) => p.round))];
  const perRound = (other, value) =>
    pairedByRound(phases, rounds, other).map(([service, reference]) => (service && reference ? round2(value(service, reference)) : null));
  const ratio = (proxy) => perRound(proxy, (service, reference) => service.rps / reference.rps);
  const p50Delta = (proxy) => perRound(proxy, (service, reference) => service.latencyMs.p50 - reference.latencyMs.p50);
  const ratios = Object.fromEntries(REFERENCES.map((reference) => {
    const perRound = ratio(reference);
    return [reference, { perRound, median: round2(median(perRound)) }];
  }));
  const vsGot = ratio('got-proxy');
  const vsHttp = ratio('http-proxy');
  const p50VsHttp = p50Delta('http-proxy');
  const p50VsGot = p50Delta('got-proxy');
  const gotCpu = byTarget['got-proxy'].cpuUsPerUpstreamCall;
  const httpCpu = byTarget['http-proxy'].cpuUsPerUpstreamCall;
  return {
    byTarget,
    ratios,
    ratioVsGotProxy: { perRound: vsGot, median: round2(median(vsGot)) },
    ratioVsHttpProxy: { perRound: vsHttp, median: round2(median(vsHttp)) },
    p50DeltaMsVsHttpProxy: { perRound: p50VsHttp, median: round2(median(p50VsHttp)) },
    p50DeltaMsVsGotProxy: { perRound: p50VsGot, median: round2(median(p50VsGot)) },
    gotCpuUsPerUpstreamCallOverHttp: gotCpu !== null && httpCpu !== null ? round2(gotCpu - httpCpu) : null,
    ...(workload.compareCoalescing ? { coalescing: coalescingSummary(phases, rounds) } : {}),
  };
}

/** Per round, the service's phase and `other`'s (either undefined when that round lacks it). */
function pairedByRound(phases, rounds, other) {
  const phaseOf = (round, target) => phases.find((p) => p.round === round && p.target === target);
  return rounds.map((round) => [phaseOf(round, 'service'), phaseOf(round, other)]);
}

/** In-flight coalescing on (the service) against off (the second service process), round by round. */
function coalescingSummary(phases, rounds) {
  const pairs = pairedByRound(phases, rounds, UNCOALESCED).filter(([on, off]) => on && off);
  const ratio = (value) => round2(median(pairs.map(([on, off]) => value(on) / value(off))));
  return {
    upstreamCallsPerOp: { on: round2(median(pairs.map(([on]) => on.upstreamCallsPerOp))), off: round2(median(pairs.map(([, off]) => off.upstreamCallsPerOp))) },
    rpsOnOverOff: ratio((p) => p.rps),
    cpuPerRequestOnOverOff: ratio((p) => p.cpuUsPerRequest),
    p50DeltaMsOnMinusOff: round2(median(pairs.map(([on, off]) => on.latencyMs.p50 - off.latencyMs.p50))),
  };
}

// Issue 13's targets: against the conventional peer and the bare node:http proxy.
const THROUGHPUT_TARGETS = [
  ['one-id', 'rest-datasource', 1.3],
  ['fifty-ids', 'rest-datasource', 1.8],
  ['hot-ids', 'rest-datasource', 3],
  ['one-id', 'http-proxy', 0.45],
  ['fifty-ids', 'http-proxy', 0.35],
  ['entities', 'http-proxy', 0.35],
];
// No worse than before the transport moved to undici (the default run of issue 8: +0.62 / +5.97 / +5.94 ms).
const LATENCY_TARGETS = [
  ['one-id-c1', 0.65],
  ['fifty-ids-c1', 6],
  ['entities-c1', 6],
];

function evaluateTargets(results) {
  const byName = new Map(results.map((w) => [w.name, w]));
  const targets = [];
  for (const [name, proxy, threshold] of THROUGHPUT_TARGETS) {
    const w = byName.get(name);
    const value = w ? w.summary.ratios[proxy].median : null;
    targets.push({ target: `${name}: throughput ratio vs ${proxy} >= ${threshold}`, value, met: value === null ? null : value >= threshold });
  }
  for (const [name, threshold] of LATENCY_TARGETS) {
    const w = byName.get(name);
    const value = w ? w.summary.p50DeltaMsVsHttpProxy.median : null;
    targets.push({ target: `${name}: unloaded p50 over the node:http proxy <= +${threshold} ms`, value, met: value === null ? null : value <= threshold });
  }
  // Where coalescing is compared, operations in flight share ids on purpose: there the service with
  // coalescing off must make exactly one call per distinct id, and the one with it on may make fewer.
  const serviceCalls = results.flatMap((w) =>
    w.phases.filter((p) => p.target === (w.compareCoalescing ? UNCOALESCED : 'service')).map((p) => ({ w, p })),
  );
  const wrongCalls = serviceCalls.filter(({ w, p }) => p.upstreamCallsPerOp !== w.distinctIdsPerOp);
  targets.push({
    target: 'upstream calls per operation exactly the distinct ids, in every workload (service; coalescing off in hot-ids)',
    value: wrongCalls.length === 0 ? 'exact in every phase' : wrongCalls.map(({ w, p }) => `${w.name} r${p.round}: ${p.upstreamCallsPerOp}`).join('; '),
    met: serviceCalls.length === 0 ? null : wrongCalls.length === 0,
  });
  const sockets = results.flatMap((w) => w.phases.filter((p) => p.target === 'service' || p.target === UNCOALESCED)).map((p) => p.newUpstreamSockets);
  const socketTotal = sockets.some((s) => s === null) ? null : sockets.reduce((a, b) => a + b, 0);
  targets.push({
    target: 'no new upstream sockets in steady state (service, measured phases)',
    value: socketTotal === null ? 'not measured (sandbox without connections())' : `${socketTotal} new in all measured phases`,
    met: socketTotal === null ? null : socketTotal === 0,
  });
  const rssChecks = results
    .filter((w) => w.group === 'main')
    .map((w) => {
      const rounds = w.summary.byTarget.service.peakRssKbPerRound;
      return rounds.length >= 3 ? { name: w.name, ratio: round2(rounds[2] / rounds[1]) } : null;
    })
    .filter(Boolean);
  targets.push({
    target: 'peak RSS of the third repeat within 1.1x of the second (service, main workloads)',
    value: rssChecks.length === 0 ? 'needs 3 rounds' : rssChecks.map((c) => `${c.name} ${c.ratio}x`).join(', '),
    met: rssChecks.length === 0 ? null : rssChecks.every((c) => c.ratio <= 1.1),
  });
  const hot = results.find((w) => w.compareCoalescing)?.summary.coalescing;
  if (hot) {
    targets.push({
      target: 'in-flight coalescing, hot-ids (measured, no threshold)',
      value: `calls/op ${hot.upstreamCallsPerOp.on} on vs ${hot.upstreamCallsPerOp.off} off; req/s on/off ${hot.rpsOnOverOff}x; CPU/req on/off ${hot.cpuPerRequestOnOverOff}x`,
      met: null,
    });
  }
  return targets;
}

function formatTable(results) {
  const head = ['workload', 'target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'CPU µs/req', 'calls/op', 'new sockets', 'peak RSS MB'];
  const rows = [];
  for (const w of results) {
    for (const target of targetsOf(w)) {
      const t = w.summary.byTarget[target];
      const calls = [...new Set(t.upstreamCallsPerOp.map((c) => (c === null ? '-' : Number.isInteger(c) ? String(c) : c.toFixed(3))))].join('/');
      const sockets = t.newUpstreamSockets.some((s) => s === null) ? 'n/a' : String(t.newUpstreamSockets.reduce((a, b) => a + b, 0));
      rows.push([
        `${w.name} (${w.connections}c x${w.rounds})`,
        target,
        String(Math.round(t.rps)),
        t.p50?.toFixed(2) ?? '-',
        t.p90?.toFixed(2) ?? '-',
        t.p99?.toFixed(2) ?? '-',
        String(Math.round(t.cpuUsPerRequest)),
        calls,
        sockets,
        (t.peakRssKb / 1024).toFixed(0),
      ]);
    }
    const s = w.summary;
    rows.push([
      '',
      'ratio',
      REFERENCES.map((reference) => `vs ${SHORT[reference]} ${s.ratios[reference].median?.toFixed(2)}`).join(', '),
      `p50 +${s.p50DeltaMsVsHttpProxy.median?.toFixed(2)} ms vs http`,
      '',
      '',
      `got-http: ${s.gotCpuUsPerUpstreamCallOverHttp ?? '-'} µs/call`,
      '',
      '',
      '',
    ]);
    if (s.coalescing) {
      const c = s.coalescing;
      rows.push(['', 'note', `coalescing on vs off (median): calls/op ${c.upstreamCallsPerOp.on} vs ${c.upstreamCallsPerOp.off}, req/s ${c.rpsOnOverOff}x, CPU/req ${c.cpuPerRequestOnOverOff}x, p50 ${c.p50DeltaMsOnMinusOff >= 0 ? '+' : ''}${c.p50DeltaMsOnMinusOff} ms`, '', '', '', '', '', '', '']);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] === '' || r[1] === 'ratio' || r[1] === 'note' ? 0 : r[i].length))));
  const line = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) {
    if (row[1] === 'note') {
      out.push(`${''.padEnd(widths[0])}  ${row[2]}`);
    } else if (row[1] === 'ratio') {
      out.push(`${''.padEnd(widths[0])}  service/target req/s (median): ${row[2]}; ${row[3]}; ${row[6]}`);
    } else {
      out.push(line(row));
    }
  }
  return out.join('\n');
}

function formatTargets(targets) {
  return targets.map((t) => `${t.met === null ? '  n/a ' : t.met ? '  met ' : '  MISS'}  ${t.target}: ${t.value ?? '-'}`).join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const settings = settingsFromEnv();
  if (process.platform !== 'linux') throw new Error('the bench reads /proc: Linux only');
  if (Number(process.versions.node.split('.')[0]) < 22) {
    throw new Error(`Node ${process.version} is too old: run it with Node 22 or newer (bash scripts/with-node.sh node bench/run.mjs)`);
  }
  if (settings.build) {
    progress('building dist/ and dist-dev/ (tsc -p tsconfig.build.json and tsconfig.sandbox.json; BENCH_SKIP_BUILD=1 skips)');
    for (const project of ['tsconfig.build.json', 'tsconfig.sandbox.json']) {
      const build = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: ROOT, stdio: 'inherit' });
      if (build.status !== 0) throw new Error(`the build failed (${project})`);
    }
  }
  const { generatedConversationId, SANDBOX_LOCATION_A } = await import(pathToFileURL(join(DIST_DEV, 'sandbox', 'data.js')).href);
  const workloads = buildWorkloads(generatedConversationId)
    .filter((w) => settings.only.length === 0 || settings.only.includes(w.name))
    .map((w) => {
      const connections = w.unloaded ? 1 : settings.connections;
      if (w.unloaded) return { ...w, connections, seconds: settings.unloadedSeconds, rounds: settings.unloadedRounds };
      if (w.group === 'coalescing') return { ...w, connections, seconds: settings.hotSeconds, rounds: settings.hotRounds };
      return { ...w, connections, seconds: settings.seconds, rounds: w.group === 'errors' ? settings.errorRounds : settings.rounds };
    })
    .filter((w) => w.rounds > 0 && w.seconds > 0);

  // The sandbox: no request log, rate limits lifted (one token carries the whole load), 1,000 conversations.
  const sandboxOptions = {
    dist: DIST_DEV,
    latencyMs: settings.latencyMs,
    requestLogLimit: 0,
    burstLimit: 1_000_000_000,
    burstIntervalMs: settings.burstIntervalMs,
    dailyLimit: 1_000_000_000_000,
    generatedConversations: FAN_OUT_POOL,
    // Node's default (5 s) would close the sockets of whichever target sits idle while the others run,
    // and its next phase would measure reconnects, not steady state. Load balancers in front of real
    // APIs keep idle connections for a minute or more.
    keepAliveTimeoutMs: 120_000,
  };
  const profileDir = join(RESULTS_DIR, 'profiles', runStamp);
  const profileOptions = (name) => (settings.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${name}.cpuprofile`] : []);
  const sandbox = startIpcChild('sandbox', join(BENCH_DIR, 'lib', 'sandbox-process.mjs'), [JSON.stringify(sandboxOptions)]);
  const { url: upstreamUrl } = await sandbox.ready;
  const httpProxy = startIpcChild('http-proxy', join(BENCH_DIR, 'proxy-http.mjs'), [upstreamUrl, API_VERSION], profileOptions('http-proxy'));
  const gotProxy = startIpcChild('got-proxy', join(BENCH_DIR, 'proxy-got.mjs'), [upstreamUrl, API_VERSION], profileOptions('got-proxy'));
  const undiciProxy = startIpcChild('undici-proxy', join(BENCH_DIR, 'proxy-undici.mjs'), [upstreamUrl, API_VERSION], profileOptions('undici-proxy'));
  const peer = startIpcChild('rest-datasource', join(BENCH_DIR, 'peer-rest-datasource.mjs'), [upstreamUrl, API_VERSION], profileOptions('rest-datasource'));

  // The service, as `npm start` runs it. Defaults below; any of these set in the environment wins,
  // except PORT and HIGHLEVEL_API_URL.
  const port = await freePort();
  const serviceEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HIGHLEVEL_API_VERSION: API_VERSION,
    HIGHLEVEL_BURST_LIMIT: '100000',
    MAX_LOOKUPS_PER_OPERATION: '1000',
    OPERATION_DEADLINE_MS: '15000',
    ...process.env,
    PORT: String(port),
    HIGHLEVEL_API_URL: upstreamUrl,
  };
  const serviceChild = spawn(process.execPath, [...profileOptions('service'), join(DIST, 'main.js')], { cwd: ROOT, env: serviceEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(serviceChild);
  const serviceTail = captureTail(serviceChild.stderr, 'service');
  const serviceUrl = `http://127.0.0.1:${port}`;
  await waitForReady(`${serviceUrl}/readyz`, serviceChild, serviceTail);
  // The same service with in-flight coalescing off, only when a workload compares the two.
  let uncoalesced;
  if (workloads.some((w) => w.compareCoalescing)) {
    const uncoalescedPort = await freePort();
    const child = spawn(process.execPath, [join(DIST, 'main.js')], {
      cwd: ROOT,
      env: { ...serviceEnv, PORT: String(uncoalescedPort), HIGHLEVEL_COALESCE_INFLIGHT: 'false' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    const tail = captureTail(child.stderr, UNCOALESCED);
    uncoalesced = { pid: child.pid, url: `http://127.0.0.1:${uncoalescedPort}` };
    await waitForReady(`${uncoalesced.url}/readyz`, child, tail);
  }
  const [httpReady, gotReady, undiciReady, peerReady] = await Promise.all([httpProxy.ready, gotProxy.ready, undiciProxy.ready, peer.ready]);

  const env = {
    sandbox: sandbox.child,
    authorization: `Bearer ${SANDBOX_LOCATION_A.token}`,
    targets: {
      service: { pid: serviceChild.pid, url: serviceUrl },
      ...(uncoalesced ? { [UNCOALESCED]: uncoalesced } : {}),
      'got-proxy': { pid: gotProxy.child.pid, url: `http://127.0.0.1:${gotReady.port}` },
      'http-proxy': { pid: httpProxy.child.pid, url: `http://127.0.0.1:${httpReady.port}` },
      'undici-proxy': { pid: undiciProxy.child.pid, url: `http://127.0.0.1:${undiciReady.port}` },
      'rest-datasource': { pid: peer.child.pid, url: `http://127.0.0.1:${peerReady.port}` },
    },
  };
  for (const { child } of [sandbox, httpProxy, gotProxy, undiciProxy, peer]) {
    child.on('exit', (code) => {
      if (!shuttingDown) progress(`a child process exited early (code ${code})`);
    });
  }
  serviceChild.on('exit', (code) => {
    if (!shuttingDown) progress(`the service exited early (code ${code})${serviceTail()}`);
  });
  progress(`sandbox ${upstreamUrl} (latency ${settings.latencyMs} ms), service ${serviceUrl}, proxies ${env.targets['got-proxy'].url} (got) ${env.targets['http-proxy'].url} (node:http)`);

  const shape = await shapeCheck(env, workloads);
  progress(`shape check: ${shape.map((c) => `${c.workload} ${REFERENCES.map((reference) => `${SHORT[reference]}=${c[reference]}`).join(' ')}`).join(', ')}`);

  const results = [];
  /** Targets that have run a phase already (the first one of a process gets the longer warm-up). */
  const warmed = new Set();
  for (const workload of workloads) {
    const phases = [];
    const lastRps = {};
    for (let round = 1; round <= workload.rounds; round += 1) {
      // Alternate the order between rounds, so that no target always runs right after another.
      const order = round % 2 === 1 ? targetsOf(workload) : [...targetsOf(workload)].reverse();
      for (const target of order) {
        const first = round === 1;
        const phase = await runPhase({
          env,
          target,
          workload,
          // The 1-connection workloads run the code paths the loaded ones warmed: a short warm-up is enough.
          warmupSeconds: !warmed.has(target) ? settings.firstWarmupSeconds : first && !workload.unloaded ? settings.warmupSeconds : settings.rewarmSeconds,
          seconds: workload.seconds,
          expectedRps: lastRps[target],
        });
        lastRps[target] = phase.rps;
        warmed.add(target);
        phases.push({ round, ...phase });
        progress(
          `${workload.name} r${round} ${target.padEnd(10)} ${String(Math.round(phase.rps)).padStart(6)} req/s  p50 ${phase.latencyMs.p50} ms  ` +
            `${Math.round(phase.cpuUsPerRequest)} µs/req  calls/op ${phase.upstreamCallsPerOp}  new sockets ${phase.newUpstreamSockets}  ` +
            `(${phase.requests} req in ${phase.durationS} s${phase.errors + phase.non2xx > 0 ? `, ${phase.errors} errors, ${phase.non2xx} non-2xx` : ''}` +
            `${phase.answersWithGraphqlErrors > 0 ? `, ${phase.answersWithGraphqlErrors} with GraphQL errors` : ''}${phase.cut ? ', CUT at 4x the planned time' : ''})`,
        );
        if (phase.errorSample !== undefined && workload.name !== 'one-id-404') progress(`  first answer with errors: ${phase.errorSample}`);
      }
    }
    const { bodies: _bodies, ...definition } = workload;
    results.push({ ...definition, phases, summary: summarise(workload, phases) });
  }

  const finishedAt = new Date();
  const targets = evaluateTargets(results);
  const gotShare = results
    .filter((w) => !w.unloaded)
    .map((w) => ({
      workload: w.name,
      gotProxyCpuUsPerUpstreamCall: w.summary.byTarget['got-proxy'].cpuUsPerUpstreamCall,
      httpProxyCpuUsPerUpstreamCall: w.summary.byTarget['http-proxy'].cpuUsPerUpstreamCall,
      gotOverHttpUsPerUpstreamCall: w.summary.gotCpuUsPerUpstreamCallOverHttp,
    }));
  const output = {
    startedAt: new Date(Date.now() - (performance.now() - startedAt)).toISOString(),
    finishedAt: finishedAt.toISOString(),
    wallSeconds: round2((performance.now() - startedAt) / 1000),
    machine: {
      loadAverageAtStart: loadAverageAtStart.map(round2),
      loadAverageAtEnd: os.loadavg().map(round2),
      cpuModel: machine(),
      cores: os.availableParallelism(),
      totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
      kernel: `${os.type()} ${os.release()}`,
      node: process.version,
    },
    versions: { undici: versionOf('undici'), '@apollo/datasource-rest': versionOf('@apollo/datasource-rest'), got: versionOf('got'), '@apollo/server': versionOf('@apollo/server'), graphql: versionOf('graphql'), autocannon: versionOf('autocannon') },
    settings: { ...settings, sandbox: { ...sandboxOptions, dist: undefined }, service: Object.fromEntries(Object.entries(serviceEnv).filter(([key]) => /^(NODE_ENV|LOG_LEVEL|PORT|HIGHLEVEL_|MAX_|OPERATION_|GRAPHQL_|CIRCUIT_|CACHE_)/.test(key) && !/TOKEN|SECRET|PASSWORD|KEY/.test(key))) },
    shapeCheck: shape,
    workloads: results,
    gotShare,
    targets,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = runStamp;
  const json = `${JSON.stringify(output, null, 2)}\n`;
  // A profiled run is slower than a real one: its results stay beside its profiles, latest.* is untouched.
  const outDir = settings.cpuProf ? profileDir : RESULTS_DIR;
  mkdirSync(outDir, { recursive: true });
  const outName = settings.cpuProf ? 'results' : 'latest';
  writeFileSync(join(outDir, `${outName}.json`), json);
  const svg = renderChart({
    title: 'Service throughput relative to the RESTDataSource peer and the bare proxies',
    subtitle: `${output.machine.cpuModel}, ${output.machine.cores} cores, Node ${process.version}, got ${output.versions.got}; sandbox latency ${settings.latencyMs} ms; ${finishedAt.toISOString()}`,
    groups: results.map((w) => ({
      label: w.name,
      sublabel: `${w.connections} conn, ${w.rounds} round${w.rounds === 1 ? '' : 's'}`,
      bars: [
        { key: 'peer', value: w.summary.ratios['rest-datasource'].median, target: THROUGHPUT_TARGETS.find(([n, p]) => n === w.name && p === 'rest-datasource')?.[2] },
        { key: 'http', value: w.summary.ratioVsHttpProxy.median, target: THROUGHPUT_TARGETS.find(([n, p]) => n === w.name && p === 'http-proxy')?.[2] },
      ],
    })),
  });
  writeFileSync(join(outDir, `${outName}.svg`), svg);

  process.stdout.write(
    [
      '',
      `Machine: ${output.machine.cpuModel}, ${output.machine.cores} cores, Node ${process.version}; got ${output.versions.got}, @apollo/server ${output.versions['@apollo/server']}`,
      `Sandbox latency ${settings.latencyMs} ms; loaded phases ${settings.seconds} s at ${settings.connections} connections (warm-up ${settings.firstWarmupSeconds} s for a process's first phase, ` +
        `${settings.warmupSeconds} s for a workload's first, then ${settings.rewarmSeconds} s); hot-ids phases ${settings.hotSeconds} s; ` +
        `1-connection phases ${settings.unloadedSeconds} s; rounds: main ${settings.rounds}, 404 ${settings.errorRounds}, hot-ids ${settings.hotRounds}, 1-connection ${settings.unloadedRounds}`,
      'Per target: medians over rounds; calls/op per round (distinct values); new sockets summed over measured phases; peak RSS the highest VmHWM.',
      '',
      formatTable(results),
      '',
      'Targets (issue 13):',
      formatTargets(targets),
      '',
      `got's CPU per upstream call over node:http's (got proxy minus node:http proxy, µs): ${gotShare.map((g) => `${g.workload} ${g.gotOverHttpUsPerUpstreamCall}`).join(', ')}`,
      settings.cpuProf
        ? `Results (profiled run, latest.* untouched): bench/results/profiles/${stamp}/results.json and results.svg (${output.wallSeconds} s)`
        : `Results: bench/results/latest.json and bench/results/latest.svg (${output.wallSeconds} s, started ${stamp})`,
      '',
    ].join('\n'),
  );

  if (settings.cpuProf) {
    shuttingDown = true;
    await stopChildrenGracefully();
    const summaries = ['service', 'got-proxy', 'http-proxy'].map((name) => {
      try {
        // The first seconds are start-up and the first warm-up, not steady state.
        return formatProfileSummary(summariseProfile(join(profileDir, `${name}.cpuprofile`), 20, { skipSeconds: 5 }));
      } catch (error) {
        return `${name}: no profile (${error.message})`;
      }
    });
    writeFileSync(join(profileDir, 'summary.txt'), `${summaries.join('\n\n')}\n`);
    process.stdout.write(`\nCPU profiles (--cpu-prof) in bench/results/profiles/${runStamp}/:\n\n${summaries.join('\n\n')}\n`);
  }
}

let shuttingDown = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    shuttingDown = true;
    stopChildren();
    process.exit(130);
  });
}

main()
  .catch((error) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    shuttingDown = true;
    stopChildren();
  });
