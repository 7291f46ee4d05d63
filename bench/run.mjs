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
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatProfileSummary, summariseProfile } from './profile-top.mjs';
import { machine } from './lib/proc.mjs';
import { freePort } from './lib/ports.mjs';
import { buildWorkloads, FAN_OUT_POOL } from './lib/workloads.mjs';
import { round2 } from './lib/numbers.mjs';
import { children, captureTail, startIpcChild, stopChildren, stopChildrenGracefully, waitForReady } from './lib/children.mjs';
import { runPhase } from './lib/phase.mjs';
import { shapeCheck } from './lib/shape-check.mjs';
import { progress, startedAt } from './lib/progress.mjs';
import { chartOf, reportText } from './lib/report.mjs';
import { settingsFromEnv } from './lib/settings.mjs';
import { evaluateTargets, summarise } from './lib/summary.mjs';
import { scaleOutEnvironments, startRedisServer } from './lib/scale-out.mjs';
import { CACHED, REFERENCES, SHORT, UNCOALESCED, WITH_REDIS, targetsOf } from './lib/targets.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const DIST = join(ROOT, 'dist');
/** The development build (npm run build:dev): the sandbox and the service modules it imports. */
const DIST_DEV = join(ROOT, 'dist-dev');
const RESULTS_DIR = join(BENCH_DIR, 'results');
const API_VERSION = '2021-07-28';

// ---------------------------------------------------------------------------------------------------------
// Helpers

const loadAverageAtStart = os.loadavg();
const runStamp = new Date().toISOString().replace(/[:.]/g, '-');

function versionOf(pkg) {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Summary, targets, table

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
  // More service processes, only for the workloads that compare with them: in-flight coalescing off
  // (hot-ids), and REDIS_URL set with and without the private cache (issue 15's rows).
  const extraEnvs = {};
  if (workloads.some((w) => w.compareCoalescing)) extraEnvs[UNCOALESCED] = { HIGHLEVEL_COALESCE_INFLIGHT: 'false' };
  if (workloads.some((w) => w.compareCoalescing || w.compareRedis)) {
    const redisEnvs = scaleOutEnvironments(await startRedisServer(await freePort(), children));
    if (workloads.some((w) => w.compareRedis)) extraEnvs[WITH_REDIS] = redisEnvs[WITH_REDIS];
    if (workloads.some((w) => w.compareCoalescing)) extraEnvs[CACHED] = redisEnvs[CACHED];
  }
  const extraTargets = {};
  for (const [name, extraEnv] of Object.entries(extraEnvs)) {
    const extraPort = await freePort();
    const child = spawn(process.execPath, [join(DIST, 'main.js')], { cwd: ROOT, env: { ...serviceEnv, ...extraEnv, PORT: String(extraPort) }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    const tail = captureTail(child.stderr, name);
    extraTargets[name] = { pid: child.pid, url: `http://127.0.0.1:${extraPort}` };
    await waitForReady(`${extraTargets[name].url}/readyz`, child, tail);
  }
  const [httpReady, gotReady, undiciReady, peerReady] = await Promise.all([httpProxy.ready, gotProxy.ready, undiciProxy.ready, peer.ready]);

  const env = {
    sandbox: sandbox.child,
    authorization: `Bearer ${SANDBOX_LOCATION_A.token}`,
    targets: {
      service: { pid: serviceChild.pid, url: serviceUrl },
      ...extraTargets,
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
  const svg = chartOf(output, results, settings);
  writeFileSync(join(outDir, `${outName}.svg`), svg);

  process.stdout.write(reportText({ output, results, targets, gotShare, settings, stamp }));

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
