// The bench's child processes: each started here, and only these are ever stopped.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// ---------------------------------------------------------------------------------------------------------
// Child processes (each started here, and only these are ever stopped)

export const children = [];

export function captureTail(stream, name) {
  let tail = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk) => {
    tail = (tail + chunk).slice(-4000);
  });
  return () => (tail ? `\n--- last output of ${name} ---\n${tail}` : '');
}

/** Starts a Node script with an IPC channel; resolves with its first `ready` message. */
export function startIpcChild(name, script, args, nodeOptions = []) {
  const child = spawn(process.execPath, [...nodeOptions, script, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  children.push(child);
  const tail = captureTail(child.stderr, name);
  const ready = new Promise((resolveReady, reject) => {
    child.once('message', (message) => (message?.type === 'ready' ? resolveReady(message) : reject(new Error(`${name}: unexpected ${JSON.stringify(message)}`))));
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready${tail()}`)));
  });
  return { child, ready, tail };
}


export async function waitForReady(url, child, tail) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode}${tail()}`);
    try {
      const response = await globalThis.fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`the service did not answer ${url} within 30 s${tail()}`);
}

/** Stops the children the way that lets `--cpu-prof` write its profile, and waits (at most 20 s). */
export async function stopChildrenGracefully() {
  const exits = children.filter((child) => child.exitCode === null && child.signalCode === null).map((child) => new Promise((resolveExit) => child.once('exit', resolveExit)));
  for (const child of children) {
    if (child.connected) child.disconnect();
    else if (child.exitCode === null) child.kill('SIGTERM');
  }
  await Promise.race([Promise.all(exits), sleep(20_000)]);
}

export function stopChildren() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
