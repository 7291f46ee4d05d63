// The sandbox upstream in its own process (so that its CPU is not the service's): started by run.mjs with
// its options as JSON in argv[2]; answers { type: 'stats' } messages with its counters.
import { pathToFileURL } from 'node:url';

const { dist, ...options } = JSON.parse(process.argv[2] ?? '{}');
const { startSandboxUpstream } = await import(pathToFileURL(`${dist}/sandbox/upstream.js`).href);
const sandbox = await startSandboxUpstream(options);

process.on('message', (message) => {
  if (message?.type === 'stats') {
    process.send({
      type: 'stats',
      id: message.id,
      totalCalls: sandbox.totalCalls(),
      connections: typeof sandbox.connections === 'function' ? sandbox.connections() : null,
      statusCounts: sandbox.statusCounts(),
    });
  }
});
process.on('disconnect', () => {
  void sandbox.close().finally(() => process.exit(0));
});
process.send({ type: 'ready', name: 'sandbox', url: sandbox.url });
