// A real Redis for integration tests: Debian's redis-server (scripts/ensure-test-servers.sh installs it),
// started per suite on an ephemeral loopback port with persistence off, so tests never share state
// with each other or with a Redis the machine may run. It can be stopped, restarted on the same port
// and paused (SIGSTOP: a Redis that accepts connections but no longer answers).
import { type ChildProcess, spawn } from 'node:child_process';
import { Socket, createServer } from 'node:net';

export interface TestRedis {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Kills the server (SIGKILL: a crash, not a clean shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: connected but silent, then answering again. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    try {
      let child = await launch(port);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        kill: () => exit(child, 'SIGKILL'),
        async restart() {
          child = await launch(port);
        },
        pause: () => child.kill('SIGSTOP'),
        resume: () => child.kill('SIGCONT'),
        async stop() {
          child.kill('SIGCONT');
          await exit(child, 'SIGTERM');
        },
      };
    } catch (error) {
      // Another process took the port between freePort() and the bind: try another.
      if (attempt >= 5) throw error;
    }
  }
}

function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start on port ${port}: ${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(error.code === 'ENOENT' ? new Error("redis-server is not installed: run 'bash scripts/ensure-test-servers.sh'") : error),
    );
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}) on port ${port}: ${output}`)));
    // With --loglevel warning it prints nothing when all is well: poll until it accepts a PING.
    const ping = async () => {
      while (child.exitCode === null) {
        if (await answersPing(port)) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(child);
          return;
        }
        await new Promise((done) => setTimeout(done, 20));
      }
    };
    child.stdout?.on('data', (chunk) => (output += String(chunk)));
    child.stderr?.on('data', (chunk) => (output += String(chunk)));
    void ping();
  });
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(String(data).startsWith('+PONG'));
    });
  });
}

function exit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
