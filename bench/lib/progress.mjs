// Progress lines on stderr, stamped with the seconds since the bench started.
import { performance } from 'node:perf_hooks';

export const startedAt = performance.now();

export function progress(message) {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
}
