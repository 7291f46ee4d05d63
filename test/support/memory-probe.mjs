// Preloaded into the service only by the soak test (node --expose-gc --import this-file): on SIGUSR2 it
// runs a full garbage collection and writes process.memoryUsage() to $MEMORY_PROBE_FILE. Live heap after
// a full collection is what a leak makes grow; RSS alone mostly shows V8 keeping memory it once used.
import { writeFileSync } from 'node:fs';

process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  writeFileSync(process.env.MEMORY_PROBE_FILE, JSON.stringify(process.memoryUsage()));
});
