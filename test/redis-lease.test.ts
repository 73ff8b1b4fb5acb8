import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOW_WORDS } from './fixture/fake-model.js';
import { startStack, textOf, waitFor, type Stack } from './helpers.js';
import { connectHttp, postModernTasks, spawnHttpBin, type SpawnedBridge } from './http-helpers.js';
import { startRedis, type RedisServer } from './servers/redis.js';
import { havePrograms } from './servers/system-programs.js';

/**
 * A lease judged fairly: replicas sharing Redis with a 3 s `--task-lease`, a ten-second task running
 * on replica 1 in each era, watched through replica 2 while Redis, or replica 1 itself, stalls (SIGSTOP)
 * for longer than the lease. A replica that is alive keeps its task and delivers the agent's answer.
 */

const LEASE = '3s';
/** Twice the lease: every lease lapses in it, by the clock. */
const STALL_MS = 6_000;
const ANSWER = SLOW_WORDS.join('').trim();

let stack: Stack;
let redis: RedisServer;
const bins: SpawnedBridge[] = [];
const clients: Client[] = [];
let one: { bin: SpawnedBridge; url: string };
let two: { bin: SpawnedBridge; url: string };

const enabled = havePrograms({ 'redis-server': 'redis-server' });

async function startBin() {
  const bin = spawnHttpBin(['--log-level', 'info', '--task-lease', LEASE], { MASTRA_BASE_URL: stack.mastra.url, MCP_REDIS_URL: redis.url });
  bins.push(bin);
  return { bin, url: await bin.url };
}

beforeAll(async () => {
  if (!enabled) return;
  [stack, redis] = await Promise.all([startStack({ slowestAgent: true }), startRedis()]);
  [one, two] = await Promise.all([startBin(), startBin()]);
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  for (const { child } of bins) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  await redis?.stop();
  await stack?.close();
});

/** What a client of one era sees of a task: its status and, once it has one, its result. */
type Look = { status: string; statusMessage?: string; isError?: boolean; text?: string };

interface Era {
  name: string;
  start(url: string, message: string): Promise<string>;
  look(url: string, taskId: string): Promise<Look>;
}

const sessions = new Map<string, Client>();
async function sessionOn(url: string): Promise<Client> {
  let client = sessions.get(url);
  if (!client) {
    client = (await connectHttp(url)).client;
    clients.push(client);
    sessions.set(url, client);
  }
  return client;
}

const legacy: Era = {
  name: '2025-11-25',
  start: async (url, message) => {
    const client = await sessionOn(url);
    const created = await client.request(
      { method: 'tools/call', params: { name: 'ask_slowest', arguments: { message }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    return created.task.taskId;
  },
  look: async (url, taskId) => {
    const client = await sessionOn(url);
    const { status, statusMessage } = await client.experimental.tasks.getTask(taskId);
    if (status !== 'completed' && status !== 'failed') return { status, statusMessage };
    const result = await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    return { status, statusMessage, isError: result.isError === true, text: textOf(result) };
  },
};

// The extension shows a failed run as `completed` with an isError result, as a plain call would answer.
const modern: Era = {
  name: '2026-07-28',
  start: async (url, message) => (await postModernTasks(url, 'tools/call', { name: 'ask_slowest', arguments: { message } })).result.taskId as string,
  look: async (url, taskId) => {
    const answer = await postModernTasks(url, 'tasks/get', { taskId });
    if (answer.error) throw new Error(answer.error.message);
    const { status, statusMessage, result } = answer.result as { status: string; statusMessage?: string; result?: { isError?: boolean } };
    return { status, statusMessage, ...(result ? { isError: result.isError === true, text: textOf(result) } : {}) };
  },
};

const ERAS = [legacy, modern];

const modelRequests = (message: string) => stack.model.requests.filter((r) => r.lastUserMessage === message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a task of each era on replica 1 and waits until both runs are streaming from the model. */
async function startRuns(what: string): Promise<{ era: Era; taskId: string; message: string }[]> {
  const runs = await Promise.all(
    ERAS.map(async (era) => {
      const message = `${what}, ${era.name}`;
      return { era, message, taskId: await era.start(one.url, message) };
    }),
  );
  await waitFor('both runs to reach the model', () => runs.every(({ message }) => modelRequests(message)[0]?.firstChunkAt !== undefined));
  return runs;
}

/** Polls the task through replica 2 until `until` holds, keeping every look (a store error is one too). */
async function follow(era: Era, taskId: string, until: (look: Look) => boolean, timeoutMs: number): Promise<Look[]> {
  const looks: Look[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const look = await era.look(two.url, taskId).catch((error: Error): Look => ({ status: 'unreadable', text: error.message }));
    looks.push(look);
    if (until(look)) return looks;
    if (Date.now() > deadline) throw new Error(`${era.name}: gave up; looks: ${JSON.stringify(looks.slice(-2))}`);
    await sleep(100);
  }
}

/** A look at an outcome, after which a client would stop polling. */
const ended = (look: Look) => look.status === 'completed' || look.status === 'failed';
const answered = (look: Look) => look.status === 'completed' && look.isError === false && look.text!.includes(ANSWER);

describe.runIf(enabled)('leases when Redis or a replica stalls longer than --task-lease', () => {
  it("a Redis frozen for twice the lease fails no task: each era watched through another replica sees it working, then the agent's answer", async () => {
    const runs = await startRuns('running while Redis froze');
    // Watched all along, as a polling client would: during the freeze each look is a task-store error.
    const watching = runs.map(({ era, taskId }) => follow(era, taskId, ended, STALL_MS + 20_000));
    redis.freeze();
    await sleep(STALL_MS);
    redis.thaw();
    const seen = await Promise.all(watching);
    for (const [i, looks] of seen.entries()) {
      const { era, message } = runs[i]!;
      expect(
        looks.some((look) => look.status === 'unreadable'),
        era.name,
      ).toBe(true);
      expect(
        looks.filter((look) => look.isError || look.status === 'failed'),
        era.name,
      ).toEqual([]);
      expect(answered(looks.at(-1)!), `${era.name}: ${JSON.stringify(looks.at(-1))}`).toBe(true);
      expect(modelRequests(message)[0]!.aborted).toBe(false);
    }
  });

  it('a Redis frozen for twice the lease fails no task even when its runner answers a second after the others: Redis heard nobody, so no lease lapsed', async () => {
    const runs = await startRuns('running while Redis froze, its replica back late');
    const watching = runs.map(({ era, taskId }) => follow(era, taskId, ended, STALL_MS + 20_000));
    // Stopped first, so that nothing of replica 1 waits in Redis's sockets: its first renewal comes after it is back.
    one.bin.child.kill('SIGSTOP');
    redis.freeze();
    await sleep(STALL_MS);
    redis.thaw();
    // Meanwhile replica 2 reads the task, by Redis's clock unrenewed for twice the lease.
    await sleep(1_000);
    one.bin.child.kill('SIGCONT');
    const seen = await Promise.all(watching);
    for (const [i, looks] of seen.entries()) {
      const { era, message } = runs[i]!;
      expect(
        looks.filter((look) => look.isError || look.status === 'failed'),
        era.name,
      ).toEqual([]);
      expect(answered(looks.at(-1)!), `${era.name}: ${JSON.stringify(looks.at(-1))}`).toBe(true);
      expect(modelRequests(message)[0]!.aborted).toBe(false);
    }
  });

  it("a replica stopped for longer than the lease shows its task failed meanwhile, saying why, then takes it back and ends it with the agent's answer", async () => {
    const runs = await startRuns('running while its replica was stopped');
    one.bin.child.kill('SIGSTOP');
    let lapsed: Look[][];
    try {
      lapsed = await Promise.all(runs.map(({ era, taskId }) => follow(era, taskId, ended, STALL_MS + 5_000)));
    } finally {
      one.bin.child.kill('SIGCONT');
    }
    for (const [i, looks] of lapsed.entries()) {
      const { era } = runs[i]!;
      const failure = looks.at(-1)!;
      expect(failure.isError, era.name).toBe(true);
      expect(failure.text).toMatch(
        /^The bridge running this task was not heard from within its lease \(--task-lease\).*it takes the task back: the task turns `working` again/,
      );
      if (era === legacy) expect(failure).toMatchObject({ status: 'failed', statusMessage: expect.stringContaining('not heard from within its lease') });
    }
    const seen = await Promise.all(runs.map(({ era, taskId }) => follow(era, taskId, answered, 20_000)));
    for (const [i, looks] of seen.entries()) {
      const { era, message } = runs[i]!;
      // Back to working once its replica renews its lease, and never failed again after that.
      const back = looks.findIndex((look) => look.status === 'working');
      expect(back, `${era.name}: ${JSON.stringify(looks)}`).toBeGreaterThanOrEqual(0);
      expect(
        looks.slice(back).filter((look) => look.isError || look.status === 'failed'),
        era.name,
      ).toEqual([]);
      expect(modelRequests(message)[0]!.aborted).toBe(false);
    }
  });
});
