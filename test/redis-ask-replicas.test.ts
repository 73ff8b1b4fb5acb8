import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome, type RawClientDispatch } from '@modelcontextprotocol/ext-tasks/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema, CreateTaskResultSchema, ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_VERSION, startStack, textOf, waitFor, type Stack } from './helpers.js';
import { postModernTasks, rawDispatch, spawnHttpBin, type SpawnedBridge } from './http-helpers.js';
import { approve, type Elicit } from './person-sessions.js';
import { startRedis, type RedisServer } from './servers/redis.js';
import { havePrograms } from './servers/system-programs.js';

/**
 * A task that asks a person, on replicas sharing Redis with round-robin clients: its question is
 * kept with the task, so any replica shows it, and an answer given to any replica reaches the one
 * running the task, once. Replicas are separate bins: nothing of one process is seen by the other.
 */

let stack: Stack;
let redis: RedisServer;
const bins: SpawnedBridge[] = [];
const closers: (() => Promise<unknown>)[] = [];
let one: string;
let two: string;

const enabled = havePrograms({ 'redis-server': 'redis-server' });

beforeAll(async () => {
  if (!enabled) return;
  [stack, redis] = await Promise.all([startStack({ approvalAgents: true, workflows: true }), startRedis()]);
  // A short lease: its renewals (every quarter of it) are what collect an answer whose message was lost.
  for (let i = 0; i < 2; i++)
    bins.push(spawnHttpBin(['--log-level', 'info', '--task-lease', '1s'], { MASTRA_BASE_URL: stack.mastra.url, MCP_REDIS_URL: redis.url }));
  [one, two] = (await Promise.all(bins.map((bin) => bin.url))) as [string, string];
});
afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  for (const bin of bins) bin.child.kill('SIGKILL');
  await redis?.stop();
  await stack?.close();
});

const runs = () => ({ ...stack.mastra.approvalToolRuns });

/** A raw 2026-07-28 request of a client that declared elicitation and the tasks extension. */
const post = (url: string, method: string, params: Record<string, unknown>) => postModernTasks(url, method, params, undefined, { elicitation: { form: {} } });

/** An ext-tasks session whose tools/call goes to replica 1 and every task method to replica 2. */
async function roundRobinSession(elicit: Elicit, questions: string[]) {
  const client = new ModernClient(
    { name: 'person', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN_VERSION } } },
  );
  await client.connect(new ModernHttpClientTransport(new URL(two)));
  const [toOne, toTwo] = [rawDispatch(one), rawDispatch(two)];
  const dispatch: RawClientDispatch = (request, options) => ((request as { method: string }).method === 'tools/call' ? toOne : toTwo)(request, options);
  const session = createTaskSessionFromClient(client, {
    endpointId: 'bridges',
    rawDispatch: dispatch,
    v2RequestFraming: { protocolVersion: MODERN_VERSION, clientInfo: { name: 'person', version: '1.0.0' }, clientCapabilities: { elicitation: { form: {} } } },
    onInputRequest: async (request) => {
      questions.push(String((request.params as { message?: string }).message));
      return elicit(request.params as never) as never;
    },
  });
  closers.push(async () => {
    await session.close();
    await client.close();
  });
  return session;
}

describe.runIf(enabled)('a 2026-07-28 task that asks, on two replicas sharing Redis', () => {
  it('replica 2 shows the question of a task running on replica 1; of two answers at once exactly one is taken, the tool runs once', async () => {
    const before = runs().banker;
    const started = await post(one, 'tools/call', { name: 'ask_banker', arguments: { message: 'move, asked across replicas' } });
    const taskId = started.result.taskId as string;
    const asking = await waitFor('replica 2 to show the question', async () => {
      const { result } = await post(two, 'tasks/get', { taskId });
      return result.status === 'input_required' && result.inputRequests && result;
    });
    const [key, request] = Object.entries(asking.inputRequests as Record<string, { method: string; params: { message: string } }>)[0]!;
    expect(request.method).toBe('elicitation/create');
    expect(request.params.message).toContain('wants to call tool "transfer" with these arguments: {"a":2,"b":3}. Approve?');

    const approval = { inputResponses: { [key]: { action: 'accept', content: { approved: true } } } };
    const answers = await Promise.all([post(two, 'tasks/update', { taskId, ...approval }), post(one, 'tasks/update', { taskId, ...approval })]);
    expect(answers.filter((answer) => answer.result)).toHaveLength(1);
    expect(answers.find((answer) => answer.error)?.error).toMatchObject({
      code: -32602,
      message: expect.stringContaining('has no open question that these inputResponses answer'),
    });

    const done = await waitFor('the task to complete', async () => {
      const { result } = await post(two, 'tasks/get', { taskId });
      return result.status === 'completed' && result;
    });
    expect(textOf(done.result as CallToolResult)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
    // A late answer, to a question no longer open, is refused and runs nothing.
    expect((await post(two, 'tasks/update', { taskId, ...approval })).error?.message).toContain('has no open question');
    expect(runs().banker).toBe(before + 1);
  });

  it('an answer whose message the running replica missed still reaches it, at its next lease renewal', async () => {
    const before = runs().banker;
    const taskId = (await post(one, 'tools/call', { name: 'ask_banker', arguments: { message: 'move, the message lost' } })).result.taskId as string;
    const asking = await waitFor('the task to ask', async () => {
      const { result } = await post(two, 'tasks/get', { taskId });
      return result.status === 'input_required' && Object.keys(result.inputRequests).length > 0 && result;
    });
    const [key] = Object.keys(asking.inputRequests);
    // What tasks/update's script does, without its publish: a message sent while the runner was cut off from Redis.
    const task = `mastra-agents-mcp:task:${taskId}`;
    await redis.client.hdel(task, 'inputKey', 'inputRequests');
    await redis.client.hset(task, 'status', 'working', 'answer', `${key} ${JSON.stringify({ action: 'accept', content: { approved: true } })}`);
    const done = await waitFor('the task to complete', async () => {
      const { result } = await post(two, 'tasks/get', { taskId });
      return result.status === 'completed' && result;
    });
    expect(textOf(done.result as CallToolResult)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
  });

  for (const [how, elicit, ran] of [
    ['approved', approve, 1],
    ['declined', (() => ({ action: 'decline' })) as Elicit, 0],
  ] as const) {
    it(`round robin through the ext-tasks client, ${how} on replica 2: the tool runs ${ran ? 'exactly once' : 'never'}`, async () => {
      const questions: string[] = [];
      const session = await roundRobinSession(elicit, questions);
      const before = runs().banker;
      const execution = await session.callTool('ask_banker', { message: `move, ${how} on the other replica` });
      expect(execution.kind).toBe('task');
      const { outcome } = await execution.settle();
      expect(questions).toEqual([expect.stringContaining('wants to call tool "transfer"')]);
      const result = resultFromTaskOutcome(outcome) as CallToolResult;
      expect(textOf(result).includes('{"sum":5}')).toBe(ran === 1);
      expect(runs().banker).toBe(before + ran);
    });
  }

  it('a suspended workflow step of a task on replica 1, answered on replica 2, resumes the run', async () => {
    const questions: string[] = [];
    const session = await roundRobinSession(() => ({ action: 'accept', content: { approved: true, note: 'fine' } }), questions);
    const execution = await session.callTool('run_expense', { item: 'phone', amount: 700 });
    const result = resultFromTaskOutcome((await execution.settle()).outcome) as CallToolResult;
    expect(questions).toHaveLength(1);
    expect(result.structuredContent).toEqual({ status: 'approved: fine' });
  });
});

describe.runIf(enabled)('a 2025-11-25 task that asks, seen from another replica', () => {
  it('tasks/result on another replica says at once that only the session that started the task can be asked', async () => {
    const asker = new Client({ name: 'person', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    asker.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { approved: true } }));
    await asker.connect(new StreamableHTTPClientTransport(new URL(one)));
    const other = new Client({ name: 'poller', version: '1.0.0' });
    await other.connect(new StreamableHTTPClientTransport(new URL(two)));
    closers.push(
      () => asker.close(),
      () => other.close(),
    );

    const before = runs().banker;
    const { task } = await asker.request(
      { method: 'tools/call', params: { name: 'ask_banker', arguments: { message: 'move, a 2025 task' }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    await waitFor('the task to ask', async () => (await other.experimental.tasks.getTask(task.taskId)).status === 'input_required');
    // A 2026-07-28 client of the same caller sees it wait, with nothing it could answer.
    expect((await post(two, 'tasks/get', { taskId: task.taskId })).result).toMatchObject({ status: 'input_required', inputRequests: {} });
    await expect(other.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).rejects.toThrow(
      /waits for a person's answer, and its question can only be delivered by tasks\/result in the MCP session that started the task/,
    );
    // Its own session is asked through tasks/result, and the run goes on there.
    const result = (await asker.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
  });
});
