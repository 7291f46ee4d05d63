// The one connection to Redis (REDIS_URL), shared by the budgets and the conversation cache, and the
// rule that Redis trouble never fails a request: every command runs through `run`, which is bounded by
// the command timeout and, when Redis is down or slow, fails at once with RedisUnavailableError so that
// the caller takes its in-process path instead.
//
// ioredis rather than node-redis: its command timeout also bounds a command already written to a Redis
// that stopped answering (node-redis only bounds commands still queued), and its scripts fall back from
// EVALSHA to EVAL by themselves after Redis restarts with an empty script cache.
//
// Health: the connection counts as up once Redis answered a PING; any failed command or lost connection
// marks it down (one warning line), and a probe every second brings it back once Redis answers again,
// whether the socket had dropped (ioredis reconnects) or Redis had only been slow.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

export interface RedisSettings {
  /** redis:// or rediss://, with user, password and database as the URL gives them. */
  url: string;
  /** Put in front of every key (REDIS_KEY_PREFIX), so that several services can share one Redis. */
  keyPrefix: string;
  /** Bound on one command, sending to reply. */
  commandTimeoutMs: number;
}

export interface RedisHealthEvents {
  /** Up (true) or down (false), with the reason when it went down. Called on changes only. */
  onHealth?: (up: boolean, reason?: string) => void;
  /** Every failed command and connection error. */
  onError?: () => void;
}

const PROBE_EVERY_MS = 1000;
/** How long start-up waits for Redis before serving without it (it joins in when Redis answers). */
const STARTUP_WAIT_MS = 2000;

export class RedisConnection {
  readonly client: Redis;
  readonly keyPrefix: string;
  /** Unique per process: reservations made here are told apart from other instances' in shared keys. */
  readonly instanceId = randomBytes(6).toString('base64url');
  readonly #events: RedisHealthEvents;
  #up = false;
  /** Whether the current outage was reported already (one line per outage, not one per command). */
  #reported = false;
  #closed = false;
  readonly #probe: NodeJS.Timeout;

  private constructor(settings: RedisSettings, events: RedisHealthEvents) {
    this.keyPrefix = settings.keyPrefix;
    this.#events = events;
    this.client = new Redis(settings.url, {
      lazyConnect: true,
      commandTimeout: settings.commandTimeoutMs,
      connectTimeout: Math.max(1000, settings.commandTimeoutMs),
      // Nothing waits for a connection that is not there: the in-process path answers instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A reservation resent after a reconnect could count twice: the caller already fell back.
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      // Commands of many concurrent calls, issued in one tick, go out in one write.
      enableAutoPipelining: true,
    });
    this.client.on('error', (error: Error) => this.#failed(error));
    this.client.on('close', () => this.#down('connection closed'));
    this.client.on('ready', () => void this.#check());
    this.#probe = setInterval(() => {
      if (!this.#up && this.client.status === 'ready') void this.#check();
    }, PROBE_EVERY_MS);
    this.#probe.unref();
  }

  /**
   * Connects, waiting up to two seconds for Redis; when it does not answer by then, the service starts
   * without it and the connection keeps trying in the background.
   */
  static async open(settings: RedisSettings, events: RedisHealthEvents = {}): Promise<RedisConnection> {
    const connection = new RedisConnection(settings, events);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, STARTUP_WAIT_MS)));
    await Promise.race([connection.client.connect().then(() => connection.#check()).catch(() => undefined), waited]);
    clearTimeout(timer);
    if (!connection.#up) connection.#down('not reachable at start-up');
    return connection;
  }

  /** Whether commands are sent at all: when false, callers take their in-process path without waiting. */
  get available(): boolean {
    return this.#up;
  }

  /** A key of this service: the prefix, then `name` (whose `{...}` part picks the hash slot). */
  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /**
   * Runs commands, bounded by the command timeout.
   * @throws RedisUnavailableError when Redis is down, or the command fails or times out (which marks it down).
   */
  async run<T>(commands: (client: Redis) => Promise<T>): Promise<T> {
    if (!this.#up) throw new RedisUnavailableError('Redis is unavailable');
    try {
      return await commands(this.client);
    } catch (error) {
      this.#failed(error);
      throw new RedisUnavailableError(`Redis command failed: ${describe(error)}`);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#probe);
    this.#up = false;
    if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
    else this.client.disconnect();
  }

  async #check(): Promise<void> {
    try {
      await this.client.ping();
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (this.#up || this.#closed) return;
    this.#up = true;
    this.#reported = false;
    this.#events.onHealth?.(true);
  }

  #failed(error: unknown): void {
    if (this.#closed) return;
    this.#events.onError?.();
    this.#down(describe(error));
  }

  #down(reason: string): void {
    if (this.#closed || (!this.#up && this.#reported)) return;
    this.#up = false;
    this.#reported = true;
    this.#events.onHealth?.(false, reason);
  }
}

/** An error's message; never a URL or a password (ioredis's messages name host and port only). */
function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
