// Issue 15's rows: the service with REDIS_URL set against without (one id), and with the private cache
// on against in-flight coalescing alone (hot ids). The extra service processes share one redis-server,
// started here on a free loopback port with persistence off, as the tests start theirs.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, round2 } from './numbers.mjs';
import { CACHED, UNCOALESCED, WITH_REDIS } from './targets.mjs';

/** Starts redis-server on `port`; resolves once it answers. */
export async function startRedisServer(port, children) {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  children.push(child);
  const { createConnection } = await import('node:net');
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) break;
    const answered = await new Promise((resolve) => {
      const socket = createConnection(port, '127.0.0.1', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(String(data).startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
    });
    if (answered) return `redis://127.0.0.1:${port}`;
    await sleep(50);
  }
  throw new Error("redis-server did not start: is it installed? (bash scripts/ensure-test-servers.sh installs Debian's)");
}

/** The environment of each extra service process. */
export function scaleOutEnvironments(redisUrl) {
  return {
    [WITH_REDIS]: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: 'bench-redis:' },
    [CACHED]: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: 'bench-cached:', CONVERSATION_CACHE_TTL_SECONDS: '5' },
  };
}

const perRound = (phases, a, b, value) =>
  [...new Set(phases.map((p) => p.round))]
    .map((round) => [phases.find((p) => p.round === round && p.target === a), phases.find((p) => p.round === round && p.target === b)])
    .filter(([x, y]) => x && y)
    .map(([x, y]) => value(x, y));

/** The scale-out comparisons of one workload, or undefined when it has none. */
export function scaleOutSummary(workload, phases) {
  if (workload.compareRedis) {
    const ratios = perRound(phases, WITH_REDIS, 'service', (redis, alone) => round2(redis.rps / alone.rps));
    const p50 = perRound(phases, WITH_REDIS, 'service', (redis, alone) => round2(redis.latencyMs.p50 - alone.latencyMs.p50));
    return { redis: { rpsRatio: { perRound: ratios, median: round2(median(ratios)) }, p50DeltaMs: round2(median(p50)) } };
  }
  if (workload.compareCoalescing) {
    const calls = (target) => median(phases.filter((p) => p.target === target).map((p) => p.upstreamCallsPerOp));
    const off = calls(UNCOALESCED);
    const coalesced = calls('service');
    const cached = calls(CACHED);
    // How many times fewer calls per operation than with neither (coalescing off): 1 means no saving.
    const factor = (on) => (on > 0 ? round2(off / on) : on === 0 ? 'every lookup served' : null);
    const shown = (value) => (value === null ? null : Math.round(value * 10_000) / 10_000);
    const rps = perRound(phases, CACHED, 'service', (withCache, without) => round2(withCache.rps / without.rps));
    return { cache: { upstreamCallsPerOp: { off: shown(off), coalesced: shown(coalesced), cached: shown(cached) }, savingFactor: { coalesced: factor(coalesced), cached: factor(cached) }, rpsCachedOverCoalesced: round2(median(rps)) } };
  }
  return undefined;
}

export function scaleOutTargets(results) {
  const targets = [];
  const redis = results.find((w) => w.compareRedis)?.summary.scaleOut?.redis;
  if (redis) {
    const value = redis.rpsRatio.median;
    targets.push({ target: 'one-id: throughput with REDIS_URL set >= 0.8 of without', value, met: value === null ? null : value >= 0.8 });
  }
  const cache = results.find((w) => w.compareCoalescing)?.summary.scaleOut?.cache;
  if (cache) {
    const { coalesced, cached } = cache.savingFactor;
    // No upstream call at all in the measured phases: a saving beyond any ratio.
    const ratio = cached === 'every lookup served' ? Infinity : typeof coalesced === 'number' && typeof cached === 'number' ? round2(cached / coalesced) : null;
    targets.push({
      target: 'hot-ids with a 5 s cache: calls-per-operation saving >= 5x that of coalescing alone',
      value: `${ratio === Infinity ? 'no call at all' : `${ratio}x`} (calls/op ${cache.upstreamCallsPerOp.cached} cached, ${cache.upstreamCallsPerOp.coalesced} coalesced, ${cache.upstreamCallsPerOp.off} neither)`,
      met: ratio === null ? null : ratio >= 5,
    });
  }
  return targets;
}
