import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, textOf, waitFor, type Stack } from './helpers.js';
import { connectHttp, signJwt, spawnHttpBin, type SpawnedBridge } from './http-helpers.js';
import { startRedis, type RedisServer } from './servers/redis.js';
import { havePrograms } from './servers/system-programs.js';

const SECRET = 'redis-replicas-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
/** Short, so that a dead replica's tasks fail within the test's time; the default is 30s. */
const LEASE_MS = 1_000;

let stack: Stack;
let redis: RedisServer;
const bins: SpawnedBridge[] = [];
const clients: Client[] = [];

/** A replica as operators run it: the built bin, with Redis. */
async function startBin(): Promise<{ bin: SpawnedBridge; url: string }> {
  const bin = spawnHttpBin(['--log-level', 'info', '--task-lease', `${LEASE_MS}ms`], {
    MASTRA_BASE_URL: stack.mastra.url,
    JWT_TOKEN: signJwt(SECRET, { sub: 'service' }),
    MCP_REDIS_URL: redis.url,
  });
  bins.push(bin);
  return { bin, url: await bin.url };
}

async function clientOf(url: string) {
  const { client } = await connectHttp(url, alice);
  clients.push(client);
  return client;
}

const startTask = (client: Client, name: string, message: string) =>
  client
    .request({ method: 'tools/call', params: { name, arguments: { message }, task: { ttl: 60_000 } } }, CreateTaskResultSchema)
    .then(({ task }) => task.taskId);

const modelRequests = (message: string) => stack.model.requests.filter((r) => r.lastUserMessage === message);
const readyz = async (url: string): Promise<{ taskStore: { reachable: boolean } }> => (await fetch(`${new URL(url).origin}/readyz`)).json() as never;

const enabled = havePrograms({ 'redis-server': 'redis-server' });

let one: { bin: SpawnedBridge; url: string };
let two: { bin: SpawnedBridge; url: string };
beforeAll(async () => {
  if (!enabled) return;
  [stack, redis] = await Promise.all([startStack({ jwtSecret: SECRET, longRunAgents: true }), startRedis()]);
  [one, two] = await Promise.all([startBin(), startBin()]);
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  for (const bin of bins) bin.child.kill('SIGKILL');
  await redis?.stop();
  await stack?.close();
});

describe.runIf(enabled)('replicas sharing Redis (the bin, SIGKILL, Redis outages)', () => {
  let finished: string;
  let orphaned: string;

  it('a replica SIGKILLed mid-task leaves the task failed, reported by another replica within the lease, and tasks/result answers at once', async () => {
    const onOne = await clientOf(one.url);
    finished = await startTask(onOne, 'ask_echo', 'finished before the crash');
    await waitFor('the echo task to finish', async () => (await onOne.experimental.tasks.getTask(finished)).status === 'completed');
    const message = 'running when its replica died';
    orphaned = await startTask(onOne, 'ask_slower', message);
    await waitFor('the run to reach the model', () => modelRequests(message)[0]?.firstChunkAt !== undefined);

    const onTwo = await clientOf(two.url);
    expect((await onTwo.experimental.tasks.getTask(orphaned)).status).toBe('working');
    one.bin.child.kill('SIGKILL');
    await one.bin.exited;
    const failed = await waitFor(
      'another replica to report the task failed',
      async () => {
        const task = await onTwo.experimental.tasks.getTask(orphaned);
        return task.status === 'failed' && task;
      },
      LEASE_MS + 1_500,
    );
    expect(failed.statusMessage).toBe(
      'the bridge running this task was not heard from within its lease (--task-lease); if it still runs the task, the task turns working again',
    );
    const result = (await onTwo.experimental.tasks.getTaskResult(orphaned, CallToolResultSchema)) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^The bridge running this task was not heard from within its lease \(--task-lease\): it was restarted or killed/);
  });

  it('a restarted replica serves the results of finished tasks', async () => {
    const restarted = await startBin();
    const client = await clientOf(restarted.url);
    expect(textOf(await client.experimental.tasks.getTaskResult(finished, CallToolResultSchema))).toContain('finished before the crash');
    expect((await client.experimental.tasks.getTask(orphaned)).status).toBe('failed');
    one = restarted;
  });

  it('a run whose task Redis lost (restarted empty) is stopped upstream at the next lease renewal', async () => {
    const client = await clientOf(two.url);
    const message = 'running when Redis forgot its task';
    await startTask(client, 'ask_slower', message);
    await waitFor('the run to reach the model', () => modelRequests(message)[0]?.firstChunkAt !== undefined);
    await redis.kill();
    await redis.restart();
    const upstream = await waitFor('the model request to end', () => modelRequests(message)[0]?.endedAt !== undefined && modelRequests(message)[0]);
    expect(upstream.aborted).toBe(true);
  });

  it('a Redis that stops answering costs a task call one command timeout, not a hang; plain calls go on', async () => {
    const client = await clientOf(two.url);
    redis.freeze();
    try {
      const plain = (await client.callTool({ name: 'ask_echo', arguments: { message: 'plain while Redis is frozen' } })) as CallToolResult;
      expect(textOf(plain)).toContain('plain while Redis is frozen');
      await expect(startTask(client, 'ask_echo', 'a task while Redis is frozen')).rejects.toThrow(/task store \(Redis at [^)]+\) failed: Command timed out/);
    } finally {
      redis.thaw();
    }
    const taskId = await startTask(client, 'ask_echo', 'a task once Redis answers again');
    expect(textOf(await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema))).toContain('once Redis answers again');
  });

  it('Redis down: plain calls go on, task calls fail at once naming the task store, and a bridge started meanwhile serves; all recover when Redis is back empty', async () => {
    const client = await clientOf(two.url);
    await redis.kill();
    await waitFor('the replica to see Redis gone', async () => (await readyz(two.url)).taskStore.reachable === false);
    expect(await readyz(two.url)).toMatchObject({ status: 'ready', taskStore: { kind: 'redis', reachable: false } });

    const plain = (await client.callTool({ name: 'ask_echo', arguments: { message: 'plain while Redis is down' } })) as CallToolResult;
    expect(textOf(plain)).toContain('plain while Redis is down');
    await expect(startTask(client, 'ask_echo', 'a task while Redis is down')).rejects.toThrow(
      /task store \(Redis at redis:\/\/127\.0\.0\.1:\d+\).*Plain tool calls/,
    );
    await expect(client.experimental.tasks.getTask(finished)).rejects.toThrow(/task store/);

    const late = await startBin();
    await waitFor('the late bridge to say Redis cannot be reached', () => /task store \(Redis at [^)]+\) cannot be reached/.test(late.bin.stderr()));

    await redis.restart();
    for (const url of [two.url, late.url]) {
      const again = await clientOf(url);
      const taskId = await waitFor(
        'task calls to work again',
        () => startTask(again, 'ask_echo', `a task after the outage on ${url}`).catch(() => undefined),
        30_000,
      );
      expect(textOf(await again.experimental.tasks.getTaskResult(taskId, CallToolResultSchema))).toContain('after the outage');
      expect((await readyz(url)).taskStore.reachable).toBe(true);
    }
    expect(late.bin.stderr()).toMatch(/task store \(Redis at [^)]+\) answers/);
  });
});
