import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { systemProgram } from './system-programs.js';
import { closedPort } from './waiting.js';

export interface RedisServer {
  url: string;
  port: number;
  /** A plain client for the test's own looks (SCAN, INFO), closed with the server. */
  client: Redis;
  /** SIGKILL: no goodbye to its clients, nothing saved. */
  kill(): Promise<void>;
  /** SIGSTOP, then SIGCONT: a Redis that holds its connections and answers nothing, for a while. */
  freeze(): void;
  thaw(): void;
  /** Starts again on the same port, empty (nothing is persisted). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Resolves once the server says it accepts connections; rejects with its output if it exits first. */
function launch(config: string): Promise<ChildProcess> {
  const child = spawn(systemProgram('redis-server')!, [config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/** A real redis-server of its own on a free loopback port, with its own config and data directory, no persistence. */
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-redis-'));
  const port = await closedPort();
  const config = join(dir, 'redis.conf');
  await writeFile(
    config,
    [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'save ""', 'appendonly no', 'protected-mode yes', 'loglevel notice', 'daemonize no'].join('\n'),
  );
  let child = await launch(config);
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 100, lazyConnect: true });
  client.on('error', () => {});
  await client.connect();
  return {
    url,
    port,
    client,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    restart: async () => {
      child = await launch(config);
    },
    stop: async () => {
      client.disconnect();
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
