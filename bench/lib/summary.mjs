// From measured phases to medians per target, the service's ratios against every reference, and the
// issue's targets met or missed.
import { median, round2 } from './numbers.mjs';
import { scaleOutSummary, scaleOutTargets } from './scale-out.mjs';
import { REFERENCES, UNCOALESCED, targetsOf } from './targets.mjs';

export function summarise(workload, phases) {
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
    ...(scaleOutSummary(workload, phases) ? { scaleOut: scaleOutSummary(workload, phases) } : {}),
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
export const THROUGHPUT_TARGETS = [
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

export function evaluateTargets(results) {
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
  targets.push(...scaleOutTargets(results));
  return targets;
}
