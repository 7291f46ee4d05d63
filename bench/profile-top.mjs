// `node bench/profile-top.mjs <file.cpuprofile> [top]`: the top entries of a V8 CPU profile (as written by
// `node --cpu-prof`, e.g. by `BENCH_CPU_PROF=1 node bench/run.mjs`), by self time, and the time by package.
//
// "By package (attributed)" charges every sample to the nearest frame, walking from the leaf towards the
// root, that belongs to a package or to the service's own code (dist/): the time spent in Node's internals
// on behalf of got, for example, counts as got's. "By concern" charges every sample once, to the first of
// these found anywhere on its stack: got (with its dependencies, and the hooks it calls), GraphQL
// execution (graphql, @apollo/*), the service's upstream side (dist/upstream, loaders, observability and
// the libraries they use), the service's other code, the bench proxies' own code; else GC, (program), or
// Node's own work. `--skip-seconds N` leaves out the first N seconds of the profile (start-up, warm-up).
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const GOT_FAMILY = /^(got|@sindresorhus\/is|@szmarczak\/http-timer|uint8array-extras|byte-counter|cacheable-lookup|cacheable-request|decompress-response|form-data-encoder|http2-wrapper|keyv|lowercase-keys|p-cancelable|responselike|type-fest|chunk-data|defer-to-connect|mimic-response|normalize-url|get-stream|is-stream)$/;
const UPSTREAM_SIDE_LIBS = new Set(['cockatiel', 'p-limit', 'yocto-queue', 'dataloader', 'prom-client', 'pino', 'zod', '@opentelemetry/api']);

function concernOf(packages) {
  const has = (test) => packages.some(test);
  if (has((k) => GOT_FAMILY.test(k))) return 'got (with its dependencies and the hooks it calls)';
  if (has((k) => k === 'graphql' || k.startsWith('@apollo/'))) return 'GraphQL execution (graphql, @apollo/*)';
  if (has((k) => /^service dist\/(upstream|loaders|observability)/.test(k) || UPSTREAM_SIDE_LIBS.has(k))) {
    return 'service: upstream client, loaders, observability';
  }
  if (has((k) => k.startsWith('service '))) return 'service: HTTP front, limits, other';
  if (has((k) => k.startsWith('bench '))) return 'bench proxy code';
  return null;
}

export function summariseProfile(file, top = 25, { skipSeconds = 0 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMicros = new Map();
  const byConcern = new Map();
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsed += delta;
    if (elapsed < skipSeconds * 1e6) return;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta);
  });
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfMicros].filter(([id]) => nodes.get(id).callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;

  const packageOf = (url) => {
    if (!url) return null;
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (match) return match[1];
    if (url.includes('/dist/')) return `service ${url.slice(url.indexOf('/dist/') + 1)}`.replace(/^service (dist\/[^/]+(?:\/[^/]+)?).*$/, 'service $1');
    if (url.includes('/bench/')) return `bench ${url.slice(url.indexOf('/bench/') + 1)}`;
    return null;
  };
  const kindOf = (node) => {
    const { url, functionName } = node.callFrame;
    if (!url) return functionName; // (garbage collector), (program), (idle), native
    if (url.startsWith('node:')) return 'node internals';
    return packageOf(url) ?? url;
  };
  const byFunction = new Map();
  const byPackageSelf = new Map();
  const byPackageAttributed = new Map();
  for (const [id, micros] of selfMicros) {
    const node = nodes.get(id);
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    const shortUrl = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(dist|bench)\//, '$1/');
    const key = `${functionName || '(anonymous)'}  ${shortUrl}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const kind = kindOf(node);
    byPackageSelf.set(kind, (byPackageSelf.get(kind) ?? 0) + micros);
    // The packages on the stack, nearest first.
    const packages = [];
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const found = packageOf(nodes.get(at).callFrame.url);
      if (found) packages.push(found);
    }
    const unowned = ['(garbage collector)', '(program)'].includes(functionName) ? functionName : undefined;
    // Frames of no package (Node's internals, natives) with no package above them: Node's own work.
    const owner = packages[0] ?? unowned ?? 'node internals and natives';
    byPackageAttributed.set(owner, (byPackageAttributed.get(owner) ?? 0) + micros);
    const concern = concernOf(packages) ?? unowned ?? 'Node itself (no package frame on the stack)';
    byConcern.set(concern, (byConcern.get(concern) ?? 0) + micros);
  }
  const rows = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: Math.round(micros / 1000), share: Math.round((micros / busy) * 1000) / 10 }));
  return {
    file: relative(process.cwd(), file),
    skipSeconds,
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    topSelf: rows(byFunction),
    byPackageSelf: rows(byPackageSelf),
    byPackageAttributed: rows(byPackageAttributed),
    byConcern: rows(byConcern),
  };
}

export function formatProfileSummary(summary) {
  const table = (title, rows) => [title, ...rows.map((r) => `  ${String(r.share.toFixed(1)).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.name}`)].join('\n');
  return [
    `${summary.file}: ${summary.busyMs} ms busy (${summary.idleMs} ms idle)${summary.skipSeconds ? `, after the first ${summary.skipSeconds} s` : ''}`,
    table('By concern (every sample once):', summary.byConcern),
    table('Top functions by self time (% of busy time):', summary.topSelf),
    table('By package, self time:', summary.byPackageSelf),
    table('By package, attributed to the nearest package frame:', summary.byPackageAttributed),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const skipAt = args.indexOf('--skip-seconds');
  const skipSeconds = skipAt >= 0 ? Number(args.splice(skipAt, 2)[1]) : 0;
  const [file, top] = args;
  if (!file || !Number.isFinite(skipSeconds)) {
    process.stderr.write('usage: node bench/profile-top.mjs <file.cpuprofile> [top] [--skip-seconds N]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfileSummary(summariseProfile(file, Number(top ?? 25), { skipSeconds }))}\n`);
}
