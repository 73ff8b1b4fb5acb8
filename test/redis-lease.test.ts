import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOW_WORDS } from './fixture/fake-model.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { textOf, type Era } from './support/mcp-clients.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { havePrograms } from './support/system-programs.js';
import { legacyTasks, modernTasksOverHttp, type TaskClient } from './support/task-clients.js';
import { waitFor } from './support/waiting.js';

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
let one: Bridge;
let two: Bridge;

const enabled = havePrograms({ 'redis-server': 'redis-server' });

const startBin = () =>
  startBridge({
    mastraUrl: stack.mastra.url,
    transport: 'http',
    bin: true,
    client: 'none',
    args: ['--log-level', 'info', '--task-lease', LEASE],
    env: { MCP_REDIS_URL: redis.url },
  });

beforeAll(async () => {
  if (!enabled) return;
  [stack, redis] = await Promise.all([startStack({ slowestAgent: true }), startRedis()]);
  [one, two] = await Promise.all([startBin(), startBin()]);
});
afterAll(async () => {
  // SIGKILL ends a stopped (SIGSTOP) bin too.
  for (const bin of [one, two]) await bin?.close();
  await redis?.stop();
  await stack?.close();
});

/** What a client of one era sees of a task: its status and, once it has one, its result; `at` is when it looked. */
type Look = { status: string; statusMessage?: string; isError?: boolean; text?: string; at: number };

/** Each era's task methods on each replica; a 2025 client keeps one session per replica. */
const clients = new Map<string, TaskClient>();
async function tasksOn(era: Era, bridge: Bridge): Promise<TaskClient> {
  const key = `${era} ${bridge.url}`;
  if (!clients.has(key)) clients.set(key, era === 'legacy' ? legacyTasks((await bridge.connect()).client) : modernTasksOverHttp(bridge.url));
  return clients.get(key)!;
}

// The extension shows a failed run as `completed` with an isError result, as a plain call would answer.
async function look(era: Era, bridge: Bridge, taskId: string): Promise<Look> {
  const tasks = await tasksOn(era, bridge);
  const at = Date.now();
  const { status, statusMessage, result } = await tasks.get(taskId);
  if (status !== 'completed' && status !== 'failed') return { status, statusMessage, at };
  const outcome = result ?? (await tasks.result(taskId));
  // A lapsed task is `failed` but not final: when its replica takes it back between the two reads, tasks/result
  // waits for the run's end and gives its answer. The task was working again meanwhile, which is what this look saw.
  if (status === 'failed' && outcome.isError !== true) return { status: 'working', statusMessage: 'taken back while its result was read', at };
  return { status, statusMessage, isError: outcome.isError === true, text: textOf(outcome), at };
}

const ERAS: Era[] = ['legacy', 'modern'];
const ERA_NAMES = { legacy: '2025-11-25', modern: '2026-07-28' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a task of each era on replica 1 and waits until both runs are streaming from the model. */
async function startRuns(what: string): Promise<{ era: Era; taskId: string; message: string }[]> {
  const runs = await Promise.all(
    ERAS.map(async (era) => {
      const message = `${what}, ${ERA_NAMES[era]}`;
      return { era, message, taskId: (await (await tasksOn(era, one)).start('ask_slowest', { message }, 60_000)).taskId };
    }),
  );
  await Promise.all(runs.map(({ message }) => stack.requestFor(message, (request) => request.firstChunkAt !== undefined)));
  return runs;
}

/** Polls the task through replica 2 until `until` holds, keeping every look (a store error is one too). */
async function follow(era: Era, taskId: string, until: (look: Look) => boolean, timeoutMs: number, looks: Look[] = []): Promise<Look[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = Date.now();
    const seen = await look(era, two, taskId).catch((error: Error): Look => ({ status: 'unreadable', text: error.message, at }));
    looks.push(seen);
    if (until(seen)) return looks;
    if (Date.now() > deadline) throw new Error(`${ERA_NAMES[era]}: gave up; looks: ${JSON.stringify(looks.slice(-2))}`);
    // The pace of a polling client, not a wait for anything.
    await sleep(100);
  }
}

/** A look at an outcome, after which a client would stop polling. */
const ended = (look: Look) => look.status === 'completed' || look.status === 'failed';
const answered = (look: Look) => look.status === 'completed' && look.isError === false && look.text!.includes(ANSWER);

/** Each run was never failed, ended with the agent's answer, and its Mastra request ran to its end. */
function expectEachAnswered(runs: { era: Era; message: string }[], seen: Look[][]): void {
  for (const [i, looks] of seen.entries()) {
    const { era, message } = runs[i]!;
    expect(
      looks.filter((look) => look.isError || look.status === 'failed'),
      ERA_NAMES[era],
    ).toEqual([]);
    expect(answered(looks.at(-1)!), `${ERA_NAMES[era]}: ${JSON.stringify(looks.at(-1))}`).toBe(true);
    expect(stack.requestsFor(message)[0]!.aborted).toBe(false);
  }
}

describe.runIf(enabled)('leases when Redis or a replica stalls longer than --task-lease', () => {
  it("a Redis frozen for twice the lease fails no task: each era watched through another replica sees it working, then the agent's answer", async () => {
    const runs = await startRuns('running while Redis froze');
    // Watched all along, as a polling client would: during the freeze each look is a task-store error.
    const watching = runs.map(({ era, taskId }) => follow(era, taskId, ended, STALL_MS + 20_000));
    redis.freeze();
    // How long the stall lasts is what the test is about: twice the lease, by the clock.
    await sleep(STALL_MS);
    redis.thaw();
    const seen = await Promise.all(watching);
    for (const [i, looks] of seen.entries())
      expect(
        looks.some((look) => look.status === 'unreadable'),
        ERA_NAMES[runs[i]!.era],
      ).toBe(true);
    expectEachAnswered(runs, seen);
  });

  it('a Redis frozen for twice the lease fails no task even when its runner answers a second after the others: Redis heard nobody, so no lease lapsed', async () => {
    const runs = await startRuns('running while Redis froze, its replica back late');
    const looks = runs.map((): Look[] => []);
    const watching = runs.map(({ era, taskId }, i) => follow(era, taskId, ended, STALL_MS + 20_000, looks[i]));
    // Stopped first, so that nothing of replica 1 waits in Redis's sockets: its first renewal comes after it is back.
    one.child!.kill('SIGSTOP');
    redis.freeze();
    // How long the stall lasts is what the test is about: twice the lease, by the clock.
    await sleep(STALL_MS);
    redis.thaw();
    const thawedAt = Date.now();
    // Meanwhile replica 2 reads each task, by Redis's clock unrenewed for twice the lease.
    await waitFor('replica 2 to read each task while replica 1 is still stopped', () =>
      looks.every((seen) => seen.some((l) => l.at >= thawedAt && l.status !== 'unreadable')),
    );
    one.child!.kill('SIGCONT');
    const seen = await Promise.all(watching);
    expectEachAnswered(runs, seen);
  });

  it("a replica stopped for longer than the lease shows its task failed meanwhile, saying why, then takes it back and ends it with the agent's answer", async () => {
    const runs = await startRuns('running while its replica was stopped');
    one.child!.kill('SIGSTOP');
    let lapsed: Look[][];
    try {
      lapsed = await Promise.all(runs.map(({ era, taskId }) => follow(era, taskId, ended, STALL_MS + 5_000)));
    } finally {
      one.child!.kill('SIGCONT');
    }
    for (const [i, looks] of lapsed.entries()) {
      const { era } = runs[i]!;
      const failure = looks.at(-1)!;
      expect(failure.isError, ERA_NAMES[era]).toBe(true);
      expect(failure.text).toMatch(
        /^The bridge running this task was not heard from within its lease \(--task-lease\).*it takes the task back: the task turns `working` again/,
      );
      if (era === 'legacy') expect(failure).toMatchObject({ status: 'failed', statusMessage: expect.stringContaining('not heard from within its lease') });
    }
    const seen = await Promise.all(runs.map(({ era, taskId }) => follow(era, taskId, answered, 20_000)));
    for (const [i, looks] of seen.entries()) {
      const { era, message } = runs[i]!;
      // Back to working once its replica renews its lease, and never failed again after that.
      const back = looks.findIndex((look) => look.status === 'working');
      expect(back, `${ERA_NAMES[era]}: ${JSON.stringify(looks)}`).toBeGreaterThanOrEqual(0);
      expect(
        looks.slice(back).filter((look) => look.isError || look.status === 'failed'),
        ERA_NAMES[era],
      ).toEqual([]);
      expect(stack.requestsFor(message)[0]!.aborted).toBe(false);
    }
  });
});
