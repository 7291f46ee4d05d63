// `npm run bench` (after bench/run.mjs): live conversations. The service (node dist/main.js, its own
// process) with the sandbox's test keys; in this process the sandbox and 1,000 graphql-ws subscribers of
// one conversation. Measures, for 20 signed webhooks one after the other, the time from sending it to the
// last subscriber receiving the change (p50 / p99 over the 20), and then the webhook endpoint's throughput
// for verified deliveries, Ed25519 and RSA (autocannon, each body sent once: every one is applied).
// Writes bench/results/latest.live.json. BENCH_SUBSCRIBERS and BENCH_EVENTS change the counts.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { createClient } from 'graphql-ws';
import { children, captureTail, stopChildren, waitForReady } from './lib/children.mjs';
import { freePort } from './lib/ports.mjs';
import { percentile, round2 } from './lib/numbers.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 20);
const print = (line) => process.stdout.write(`${line}\n`);
const pct = (values, p) => percentile([...values].sort((a, b) => a - b), p);

const { startSandboxUpstream } = await import(pathToFileURL(join(ROOT, 'dist-dev/sandbox/upstream.js')).href);
const { SANDBOX_IDS, SANDBOX_LOCATION_A, generatedConversationId } = await import(pathToFileURL(join(ROOT, 'dist-dev/sandbox/data.js')).href);

async function main() {
  const sandbox = await startSandboxUpstream({ requestLogLimit: 0, burstLimit: 1e9, dailyLimit: 1e12, generatedConversations: 100_000 });
  const keys = sandbox.webhooks.publicKeys;
  const port = await freePort();
  const service = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      HIGHLEVEL_API_URL: sandbox.url,
      HIGHLEVEL_BURST_LIMIT: '100000',
      WEBHOOK_SIGNATURE_PUBLIC_KEY: keys.ed25519,
      WEBHOOK_PUBLIC_KEY: keys.rsa,
      MAX_LOOKUPS_PER_OPERATION: '1000',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(service);
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(`${url}/readyz`, service, captureTail(service.stderr, 'service'));

  // 1,000 subscribers of one conversation, each on its own connection, as 1,000 open inboxes would be.
  const id = SANDBOX_IDS.phone;
  const received = new Map();
  const clients = [];
  let subscribed = 0;
  for (let i = 0; i < SUBSCRIBERS; i += 1) {
    const client = createClient({ url: `ws://127.0.0.1:${port}/graphql`, connectionParams: { authorization: `Bearer ${SANDBOX_LOCATION_A.token}` }, retryAttempts: 0 });
    clients.push(client);
    client.subscribe(
      { query: `subscription { conversationUpdated(ids: ["${id}"]) { unreadCount } }` },
      {
        next: ({ data }) => {
          const at = performance.now();
          const count = data?.conversationUpdated?.unreadCount;
          const times = received.get(count) ?? [];
          times.push(at);
          received.set(count, times);
        },
        error: (error) => print(`subscriber ${i} failed: ${JSON.stringify(error)}`),
        complete: () => undefined,
      },
    );
    subscribed += 1;
  }
  // Every subscription has read its id once (the sandbox counts them; coalescing may share some).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  print(`${subscribed} subscribers of ${id}; ${sandbox.totalCalls()} upstream reads for their first answers`);

  const fanOut = [];
  for (let event = 0; event < EVENTS; event += 1) {
    const unreadCount = 1000 + event;
    const body = JSON.stringify({ type: 'ConversationUnreadUpdate', locationId: SANDBOX_LOCATION_A.id, id, unreadCount, inbox: true, starred: true, deleted: false, timestamp: new Date().toISOString(), webhookId: randomUUID() });
    const started = performance.now();
    const response = await fetch(`${url}/webhooks/highlevel`, { method: 'POST', headers: signedHeaders(sandbox, body), body });
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
    for (let wait = 0; wait < 500 && (received.get(unreadCount)?.length ?? 0) < SUBSCRIBERS; wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const times = received.get(unreadCount) ?? [];
    fanOut.push({ reached: times.length, lastMs: times.length ? Math.max(...times) - started : null, medianMs: times.length ? pct(times.map((t) => t - started), 50) : null });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const lasts = fanOut.map((e) => e.lastMs).filter((v) => v !== null);
  const live = {
    subscribers: SUBSCRIBERS,
    events: EVENTS,
    everyoneReached: fanOut.every((e) => e.reached === SUBSCRIBERS),
    lastSubscriberMs: { p50: round2(pct(lasts, 50)), p99: round2(pct(lasts, 99)), max: round2(Math.max(...lasts)) },
    medianSubscriberMs: { p50: round2(pct(fanOut.map((e) => e.medianMs), 50)) },
  };
  print(`fan-out to ${SUBSCRIBERS} subscribers over ${EVENTS} events: last subscriber p50 ${live.lastSubscriberMs.p50} ms, p99 ${live.lastSubscriberMs.p99} ms (median subscriber p50 ${live.medianSubscriberMs.p50} ms); everyone reached: ${live.everyoneReached}`);
  await Promise.all(clients.map((client) => client.dispose()));

  const throughput = {};
  for (const [scheme, count] of [['ed25519', 20_000], ['rsa', 5_000]]) {
    const deliveries = Array.from({ length: count }, (_, i) => {
      const body = JSON.stringify({ type: 'ConversationUnreadUpdate', locationId: SANDBOX_LOCATION_A.id, id: generatedConversationId(i), unreadCount: 1, inbox: true, starred: false, deleted: false, timestamp: new Date().toISOString(), webhookId: randomUUID() });
      return { headers: signedHeaders(sandbox, body, scheme), body };
    });
    // One shared sequence for all connections (autocannon would give each its own pass over a list), so
    // each delivery is sent exactly once and is applied.
    let next = 0;
    const requests = [{ method: 'POST', path: '/webhooks/highlevel', setupRequest: (request) => ({ ...request, ...deliveries[next++ % count] }) }];
    const appliedBefore = await applied(url);
    const began = performance.now();
    const result = await autocannon({ url, connections: 16, amount: count, requests, timeout: 30 });
    const appliedCount = (await applied(url)) - appliedBefore;
    const perSecond = (result.requests.total / (performance.now() - began)) * 1000;
    throughput[scheme] = { applied: appliedCount, requestsPerSecond: round2(perSecond), p50Ms: result.latency.p50, p99Ms: result.latency.p99, non2xx: result.non2xx, errors: result.errors };
    print(`webhook throughput, ${scheme}: ${Math.round(perSecond)} verified deliveries/s (p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms; ${appliedCount} of ${count} applied; non-2xx ${result.non2xx}, errors ${result.errors})`);
  }
  writeFileSync(join(ROOT, 'bench/results/latest.live.json'), `${JSON.stringify({ at: new Date().toISOString(), node: process.version, live, throughput }, null, 2)}\n`);
  await sandbox.close();
}

/** webhook_deliveries_total{outcome="applied"} of the service now. */
async function applied(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^webhook_deliveries_total\{outcome="applied"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** The headers HighLevel would send: both signatures, or only the one scheme measured. */
function signedHeaders(sandbox, body, scheme = 'both') {
  const headers = { 'content-type': 'application/json' };
  const signatures = sandbox.webhooks.sign(body, scheme);
  if (signatures.ed25519) headers['x-ghl-signature'] = signatures.ed25519;
  if (signatures.rsa) headers['x-wh-signature'] = signatures.rsa;
  return headers;
}

main()
  .catch((error) => {
    process.stderr.write(`bench (live) failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopChildren());
