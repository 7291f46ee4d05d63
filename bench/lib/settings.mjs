// The bench's settings, from BENCH_* variables (docs/performance.md lists them).

function numberFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

export function settingsFromEnv() {
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
