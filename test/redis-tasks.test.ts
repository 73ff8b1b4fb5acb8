import { createTaskSessionFromClient } from '@modelcontextprotocol/ext-tasks/client';
import { CallToolResultSchema, CreateTaskResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf } from '../src/identity/callers.js';
import { silentLogger } from '../src/log.js';
import { openRedisTasks } from '../src/tasks/redis/redis-task-store.js';
import type { TaskBoard } from '../src/tasks/task-board.js';
import type { TaskLimits } from '../src/tasks/task-store.js';
import { SLOW_WORDS } from './fixture/fake-model.js';
import { startBridge, type Bridge, type BridgeOptions } from './support/bridge.js';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { connectClient, MODERN_VERSION, textOf } from './support/mcp-clients.js';
import { mintingResource, startTokenIssuer, type TokenIssuer } from './support/oauth-token-issuer.js';
import { postModernTasks, rawDispatch } from './support/raw-http.js';
import { waitFor } from './support/waiting.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { havePrograms } from './support/system-programs.js';
import { DEFAULTS, taskBoard } from './support/defaults.js';

const SECRET = 'redis-tasks-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });
const carol = signJwt(SECRET, { sub: 'carol' });
const serviceToken = signJwt(SECRET, { sub: 'service-user' });
const PREFIX = 'test-bridge:';
/** Room for one echo of ECHO_LENGTH characters (the text is in the result twice), not two. */
const RESULT_BUDGET = 6_000;
const ECHO_LENGTH = 2_000;

type Replica = Bridge & { tasks: TaskBoard };

let stack: Stack;
let redis: RedisServer;
const replicas: Replica[] = [];
const closers: (() => Promise<unknown>)[] = [];
let oauth: TokenIssuer;
let oauthToken: string;
const PUBLIC_URL = 'https://mcp.example.test';

/** One replica: an HTTP bridge in this process with its own Redis connections, as a separate bin would have. */
async function startReplica(limits: Partial<TaskLimits> = {}, options: Partial<BridgeOptions> = { serviceToken }): Promise<Replica> {
  const tasks = taskBoard(limits, {
    shared: openRedisTasks({ redisUrl: redis.url, redisPrefix: PREFIX, taskLeaseMs: DEFAULTS.taskLeaseMs, logger: silentLogger }).shared,
  });
  const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', ...options, settings: { tasks, ...options.settings } });
  closers.push(async () => {
    await bridge.close();
    await tasks.close();
  });
  return { ...bridge, tasks };
}

const enabled = havePrograms({ 'redis-server': 'redis-server' });

beforeAll(async () => {
  if (!enabled) return;
  [stack, redis] = await Promise.all([startStack({ jwtSecret: SECRET, longRunAgents: true }), startRedis()]);
  for (let i = 0; i < 3; i++) replicas.push(await startReplica());
  // A fourth, whose callers may keep little: for the result budget.
  replicas.push(await startReplica({ taskResultsMaxPerSession: RESULT_BUDGET }));
  // A fifth, an OAuth protected resource that reaches Mastra with JWTs it mints: for the tokens at rest.
  oauth = await startTokenIssuer();
  closers.push(() => oauth.close());
  const settings = { oauth: mintingResource(oauth.url, PUBLIC_URL, SECRET) };
  replicas.push(await startReplica({}, { settings }));
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.stop();
  await stack?.close();
});

const modelRequests = (message: string) => stack.requestsFor(message);

async function legacyClient(replica: number, token: string) {
  const { client, close } = await connectClient({ url: replicas[replica]!.url }, { token });
  closers.push(close);
  return client;
}

/** A raw 2026-07-28 request to one replica, declaring the tasks extension. */
const modernRequest = (replica: number, token: string, method: string, params: Record<string, unknown>) =>
  postModernTasks(replicas[replica]!.url, method, params, token);

/** What ext-tasks needs to start a task on one replica. */
async function modernTaskSession(replica: number, token: string) {
  const { url } = replicas[replica]!;
  const { modern, close } = await connectClient({ url }, { era: 'modern', token });
  closers.push(close);
  return createTaskSessionFromClient(modern, {
    endpointId: `replica-${replica}`,
    rawDispatch: rawDispatch(url, token),
    v2RequestFraming: { protocolVersion: MODERN_VERSION, clientInfo: { name: 'redis-test', version: '1.0.0' }, clientCapabilities: {} },
  });
}

describe.runIf(enabled)('agent tasks in Redis, across replicas', () => {
  it('2025-11-25: a task started on replica 1 is polled and collected on replica 2, and invisible to another token on replica 3', async () => {
    const [one, two, three] = [await legacyClient(0, alice), await legacyClient(1, alice), await legacyClient(2, bob)];
    const message = marked('a 2025 task across replicas');
    const { task } = await one.request(
      { method: 'tools/call', params: { name: 'ask_slow', arguments: { message }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    // Visible elsewhere as soon as the creating call has answered.
    expect((await two.experimental.tasks.getTask(task.taskId)).status).toBe('working');
    await expect(three.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
    await expect(three.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).rejects.toThrow(/not found/i);
    await expect(three.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/not found/i);
    expect((await three.experimental.tasks.listTasks()).tasks).toEqual([]);
    // tasks/result on replica 2 waits for the run on replica 1.
    const result = (await two.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
    expect(textOf(result)).toBe(SLOW_WORDS.join(''));
    expect((await two.experimental.tasks.listTasks()).tasks.map((t) => [t.taskId, t.status])).toContainEqual([task.taskId, 'completed']);
    expect(modelRequests(message)).toHaveLength(1);
  });

  it('2026-07-28: a task started on replica 1 is followed and collected on replica 2, and another token on replica 3 cannot name it', async () => {
    const session = await modernTaskSession(0, alice);
    const execution = await session.callTool('ask_slow', { message: 'a 2026 task across replicas' });
    if (execution.kind !== 'task') throw new Error('expected a task');
    const { taskId } = execution.handle;
    expect((await modernRequest(1, alice, 'tasks/get', { taskId })).result).toMatchObject({ taskId, status: 'working' });
    const refused = await modernRequest(2, bob, 'tasks/get', { taskId });
    expect(refused.error).toMatchObject({ code: -32602, message: expect.stringContaining(`Task ${taskId} not found`) });
    const done = await waitFor('the task to complete on replica 2', async () => {
      const { result } = await modernRequest(1, alice, 'tasks/get', { taskId });
      return result?.status === 'completed' && result;
    });
    expect(textOf(done.result)).toBe(SLOW_WORDS.join(''));
    expect((await modernRequest(2, bob, 'tasks/cancel', { taskId })).error).toMatchObject({ code: -32602 });
  });

  it('2025 and 2026 requests of one user reach the same tasks on any replica', async () => {
    const session = await modernTaskSession(2, alice);
    const execution = await session.callTool('ask_echo', { message: 'one user, both eras' });
    if (execution.kind !== 'task') throw new Error('expected a task');
    const legacy = await legacyClient(0, alice);
    const result = (await legacy.experimental.tasks.getTaskResult(execution.handle.taskId, CallToolResultSchema)) as CallToolResult;
    expect(textOf(result)).toContain('one user, both eras');
  });

  it('a cancel on replica 3 aborts the run on replica 1 upstream, and the task stays cancelled', async () => {
    const message = marked('cancel me from another replica');
    const [one, three] = [await legacyClient(0, alice), await legacyClient(2, alice)];
    const { task } = await one.request(
      { method: 'tools/call', params: { name: 'ask_slower', arguments: { message }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    await waitFor('the run to reach the model', () => modelRequests(message)[0]?.firstChunkAt !== undefined);
    const cancelledAt = Date.now();
    expect((await three.experimental.tasks.cancelTask(task.taskId)).status).toBe('cancelled');
    const upstream = await waitFor('the model request to end', () => modelRequests(message)[0]?.endedAt !== undefined && modelRequests(message)[0]);
    expect(upstream.aborted).toBe(true);
    expect(upstream.endedAt! - cancelledAt).toBeLessThan(1_000);
    const after = await one.experimental.tasks.getTask(task.taskId);
    expect(after).toMatchObject({ status: 'cancelled' });
    expect(textOf(await three.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema))).toMatch(/cancelled/);
  });

  it('a task expires with its TTL in Redis, and stored results stay within the byte budget per caller, the oldest dropped first', async () => {
    const client = await legacyClient(3, carol);
    const echo = async (length: number, ttl = 60_000) => {
      const { task } = await client.request(
        { method: 'tools/call', params: { name: 'ask_echo', arguments: { message: 'x'.repeat(length) }, task: { ttl } } },
        CreateTaskResultSchema,
      );
      await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema).catch(() => {});
      return task.taskId;
    };
    const first = await echo(ECHO_LENGTH, 30_000);
    const ttlLeft = await redis.client.pttl(`${PREFIX}task:${first}`);
    expect(ttlLeft).toBeGreaterThan(20_000);
    expect(ttlLeft).toBeLessThanOrEqual(30_000);
    const second = await echo(ECHO_LENGTH);
    await expect(client.experimental.tasks.getTaskResult(first, CallToolResultSchema)).rejects.toThrow(
      `The result of task ${first} was dropped to stay within the 5.9 KiB per caller (--task-results-max-per-session) allowed for stored task results`,
    );
    expect(textOf(await client.experimental.tasks.getTaskResult(second, CallToolResultSchema))).toContain('x'.repeat(ECHO_LENGTH));
    const huge = await echo(RESULT_BUDGET);
    await expect(client.experimental.tasks.getTaskResult(huge, CallToolResultSchema)).rejects.toThrow(/is larger than the 5\.9 KiB per caller/);
    expect(Number(await redis.client.get(`${PREFIX}results-used:${identityOf(carol)}`))).toBeLessThanOrEqual(RESULT_BUDGET);
  });

  it('a replica that shuts down fails its unfinished tasks at once, without waiting for its lease to lapse', async () => {
    const leaving = await startReplica();
    replicas.push(leaving);
    const { client } = await leaving.connect({ token: alice });
    const message = marked('running when its replica shut down');
    const { task } = await client.request(
      { method: 'tools/call', params: { name: 'ask_slower', arguments: { message }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    await waitFor('the run to reach the model', () => modelRequests(message)[0]?.firstChunkAt !== undefined);
    await leaving.close();
    await leaving.tasks.close();
    const other = await legacyClient(1, alice);
    // The lease is 30s: only the replica's goodbye can make this so already.
    expect(await other.experimental.tasks.getTask(task.taskId)).toMatchObject({
      status: 'failed',
      statusMessage: 'the bridge running this task shut down before the agent answered',
    });
    expect((await waitFor('the run to stop upstream', () => modelRequests(message)[0]?.endedAt !== undefined && modelRequests(message)[0])).aborted).toBe(true);
  });

  it('/readyz says where tasks live and that Redis answers', async () => {
    const ready = await (await fetch(`${new URL(replicas[0]!.url).origin}/readyz`)).json();
    expect(ready).toMatchObject({ status: 'ready', taskStore: { kind: 'redis', reachable: true, leaseMs: 30_000 } });
  });

  it("an OAuth user's task, run with a minted Mastra JWT, is collected like any other", async () => {
    oauthToken = await oauth.token({ sub: 'olivia', aud: `${PUBLIC_URL}/mcp` });
    const client = await legacyClient(4, oauthToken);
    const { task } = await client.request(
      { method: 'tools/call', params: { name: 'ask_whoami', arguments: { message: 'who?' }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    expect(textOf(await client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema))).toBe('revealed: user=olivia tenant=none');
  });

  // Last: it reads what every test above left in Redis.
  it('no token is at rest in Redis: every key and value is free of them', async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.client.scan(cursor, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(5);
    let everything = '';
    for (const key of keys) {
      expect(key.startsWith(PREFIX)).toBe(true);
      const type = await redis.client.type(key);
      const value =
        type === 'hash' ? await redis.client.hgetall(key) : type === 'zset' ? await redis.client.zrange(key, 0, -1, 'WITHSCORES') : await redis.client.get(key);
      everything += `${key} ${JSON.stringify(value)}\n`;
    }
    // No JWT of any kind (the bridge's minted ones included): each starts with a base64url JSON header.
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
    for (const token of [alice, bob, carol, serviceToken, oauthToken]) {
      expect(everything).not.toContain(token);
      // Not even the signature or the claims part of a JWT on its own.
      for (const part of token.split('.').slice(1)) expect(everything).not.toContain(part);
    }
    // The scan saw the stored results, not an empty store.
    expect(everything).toContain('word10');
  });
});
