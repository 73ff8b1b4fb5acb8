import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../log.js';
import { TASK_SCRIPTS, type TaskCommands } from './task-scripts.js';

/** A command Redis has not answered by then fails, so a task call never hangs on a stuck Redis. */
const COMMAND_TIMEOUT_MS = 2_000;
/** Generous: a replica starting on a busy machine may not run its timers for a while. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Reconnection backs off to this and no further: the store recovers within seconds of Redis coming back. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export interface RedisConnection {
  /** Commands and the task scripts. While Redis is unreachable every command fails at once (no offline queue). */
  commands: Redis & TaskCommands;
  /** Hears the messages of a channel, from now on and after every reconnect. */
  listen(channel: string, handler: (message: string) => void): void;
  /** Where Redis is, as logs and /readyz may say it: scheme, host and port, never the credentials. */
  where: string;
  reachable(): boolean;
  /** Why a command failed, in words for a caller: "it cannot be reached" while Redis is gone, else Redis's own error. */
  failureOf(error: unknown): string;
  close(): Promise<void>;
}

// ioredis's words for a command sent on a connection that has just dropped, before its status says so.
const DROPPED = /Stream isn't writeable|Connection is closed/;

/** `rediss://host:6380`: the URL's user and password are left out. */
export function redisAddress(url: string): string {
  const { protocol, hostname, port } = new URL(url);
  return `${protocol}//${hostname}:${port || 6379}`;
}

/** An error's reason without the URL's password, should a client library ever echo it. */
function reasonOf(error: unknown, url: string): string {
  const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
  const { password } = new URL(url);
  return password ? reason.split(decodeURIComponent(password)).join('***') : reason;
}

/**
 * Connects to Redis in the background: the bridge starts and serves plain calls whether or not
 * Redis answers, says on stderr when it cannot be reached and when it answers again, and retries.
 */
export function connectRedis(url: string, logger: Logger): RedisConnection {
  const where = redisAddress(url);
  const options: RedisOptions = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 250, MAX_RECONNECT_DELAY_MS),
    // Fail, never wait: a task call must learn at once that the store is down.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    scripts: TASK_SCRIPTS,
  };
  const commands = new Redis(url, options) as Redis & TaskCommands;
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, scripts: undefined });

  let up = false;
  let warned = false;
  commands.on('ready', () => {
    up = true;
    warned = false;
    logger.info(`the task store (Redis at ${where}) answers: tasks are shared with every replica using it`);
  });
  commands.on('error', (error: unknown) => {
    up = false;
    if (warned) return logger.debug(`the task store (Redis at ${where}) still cannot be reached: ${reasonOf(error, url)}`);
    warned = true;
    logger.warn(
      `the task store (Redis at ${where}) cannot be reached (${reasonOf(error, url)}): task calls fail until it answers, plain calls are not affected; retrying every ${MAX_RECONNECT_DELAY_MS / 1000}s`,
    );
  });
  commands.on('close', () => (up = false));
  // Its trouble is the same trouble, already said by the command connection.
  subscriber.on('error', () => {});
  const handlers = new Map<string, (message: string) => void>();
  subscriber.on('message', (channel: string, message: string) => handlers.get(channel)?.(message));
  // Subscribed again on each (re)connection: a subscription whose connection dropped before Redis
  // confirmed it (a slow start, a restart) is not one ioredis remembers to renew.
  const subscribeAll = () => void subscriber.subscribe(...handlers.keys()).catch(() => {});
  subscriber.on('ready', subscribeAll);

  const reachable = () => up && commands.status === 'ready';
  return {
    commands,
    listen: (channel, handler) => {
      handlers.set(channel, handler);
      if (subscriber.status === 'ready') subscribeAll();
    },
    where,
    reachable,
    failureOf: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      return reachable() && !DROPPED.test(message) ? message : 'it cannot be reached';
    },
    close: async () => {
      await Promise.all([commands.quit().catch(() => commands.disconnect()), subscriber.quit().catch(() => subscriber.disconnect())]);
    },
  };
}
