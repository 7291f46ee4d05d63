// One measured phase: a warm-up, then autocannon against one target for a workload, with CPU, memory,
// upstream calls and new sockets read around it.
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { percentile, round2 } from './numbers.mjs';
import { cpuMicros, memoryKb, resetPeakRss } from './proc.mjs';
import { progress } from './progress.mjs';

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
export async function runPhase({ env, target, workload, warmupSeconds, seconds, expectedRps }) {
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
