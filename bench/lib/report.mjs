// The table and the targets as printed on stdout.
import { renderChart } from './chart.mjs';
import { THROUGHPUT_TARGETS } from './summary.mjs';
import { REFERENCES, SHORT, targetsOf } from './targets.mjs';

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
    if (s.scaleOut?.redis) {
      const r = s.scaleOut.redis;
      rows.push(['', 'note', `REDIS_URL set vs unset (median): req/s ${r.rpsRatio.median}x (rounds ${r.rpsRatio.perRound.join(', ')}), p50 ${r.p50DeltaMs >= 0 ? '+' : ''}${r.p50DeltaMs} ms`, '', '', '', '', '', '', '']);
    }
    if (s.scaleOut?.cache) {
      const c = s.scaleOut.cache;
      rows.push(['', 'note', `5 s cache vs coalescing alone: calls/op ${c.upstreamCallsPerOp.cached} vs ${c.upstreamCallsPerOp.coalesced} (neither ${c.upstreamCallsPerOp.off}), req/s ${c.rpsCachedOverCoalesced}x`, '', '', '', '', '', '', '']);
    }
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

/** The chart of latest.svg: the service's throughput against the peer and the node:http proxy, with targets. */
export function chartOf(output, results, settings) {
  return renderChart({
    title: 'Service throughput relative to the RESTDataSource peer and the bare proxies',
    subtitle: `${output.machine.cpuModel}, ${output.machine.cores} cores, Node ${process.version}, got ${output.versions.got}; sandbox latency ${settings.latencyMs} ms; ${output.finishedAt}`,
    groups: results.map((w) => ({
      label: w.name,
      sublabel: `${w.connections} conn, ${w.rounds} round${w.rounds === 1 ? '' : 's'}`,
      bars: [
        { key: 'peer', value: w.summary.ratios['rest-datasource'].median, target: THROUGHPUT_TARGETS.find(([n, p]) => n === w.name && p === 'rest-datasource')?.[2] },
        { key: 'http', value: w.summary.ratioVsHttpProxy.median, target: THROUGHPUT_TARGETS.find(([n, p]) => n === w.name && p === 'http-proxy')?.[2] },
      ],
    })),
  });
}

/** What the bench prints on stdout at the end. */
export function reportText({ output, results, targets, gotShare, settings, stamp }) {
  return [
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
    ].join('\n');
}
