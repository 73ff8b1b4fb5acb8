import { ErrorCode, type McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskLimits } from '../src/tasks/task-store.js';
import { startBridge } from './support/bridge.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { legacyTasks, settle, type TaskClient } from './support/task-clients.js';
import { taskBoard } from './support/defaults.js';

/** The bytes of finished tasks' results a bridge keeps, per session and in all, through --task-results-max(-per-session). */

const SECRET = 'task-results-test-secret';
const service = signJwt(SECRET, { sub: 'service-user' });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, bigAgent: true });
});
afterAll(async () => {
  await stack?.close();
});

const board = (limits: Partial<TaskLimits>) => taskBoard({ pollIntervalMs: 100, ...limits });

describe('stored task results are bounded in bytes', () => {
  /** A finished task of the big agent: about 23 KB of result (10 000 characters, twice). */
  async function bigTask(tasks: TaskClient): Promise<string> {
    const task = await tasks.start('ask_big', { message: '0.01' });
    expect((await settle(tasks, task.taskId)).last.status).toBe('completed');
    return task.taskId;
  }
  const refusalOf = (tasks: TaskClient, taskId: string) =>
    tasks.result(taskId).then(
      () => undefined,
      (e: unknown) => e as McpError,
    );
  const inMemory = (limits: Partial<TaskLimits>) =>
    startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', serviceToken: service, settings: { tasks: board(limits) } });

  it("drops a session's oldest result first when a new one would pass --task-results-max-per-session", async () => {
    const bridge = await inMemory({ taskResultsMaxPerSession: 50_000 });
    const tasks = legacyTasks(bridge.client);
    try {
      const [first, second, third] = [await bigTask(tasks), await bigTask(tasks), await bigTask(tasks)];
      const refusal = await refusalOf(tasks, first);
      expect(refusal?.code).toBe(ErrorCode.InvalidParams);
      expect(refusal?.message).toBe(
        `MCP error -32602: The result of task ${first} was dropped to stay within the 48.8 KiB per session (--task-results-max-per-session) allowed for stored task results: newer results took its place. Run the agent again; next time collect results sooner, or raise --task-results-max-per-session.`,
      );
      // The task itself stays listed, with its status.
      expect((await tasks.get(first)).status).toBe('completed');
      for (const kept of [second, third]) expect(textOf(await tasks.result(kept))).toContain('big answer line');
    } finally {
      await bridge.close();
    }
  });

  it('drops the oldest result of any session when a new one would pass --task-results-max', async () => {
    const bridge = await inMemory({ taskResultsMax: 50_000 });
    const alices = legacyTasks(bridge.client);
    const bobs = legacyTasks((await bridge.connect()).client);
    try {
      const hers = await bigTask(alices);
      const his = [await bigTask(bobs), await bigTask(bobs)];
      expect((await refusalOf(alices, hers))?.message).toMatch(/was dropped to stay within the 48\.8 KiB for all sessions together \(--task-results-max\)/);
      for (const kept of his) expect(textOf(await bobs.result(kept))).toContain('big answer line');
    } finally {
      await bridge.close();
    }
  });

  it('keeps no result larger than a whole bound, and says so, while smaller ones are kept', async () => {
    const bridge = await inMemory({ taskResultsMaxPerSession: 15_000 });
    const tasks = legacyTasks(bridge.client);
    try {
      const small = await tasks.start('ask_echo', { message: 'small enough' });
      await settle(tasks, small.taskId);
      const big = await bigTask(tasks);
      expect((await refusalOf(tasks, big))?.message).toMatch(
        /^MCP error -32602: The result of task \S+ \(\d+(\.\d)? KiB\) is larger than the 14\.6 KiB per session \(--task-results-max-per-session\) allowed for stored task results, so it was not kept\. Raise --task-results-max-per-session, or call the agent without a task\.$/,
      );
      expect(textOf(await tasks.result(small.taskId))).toBe('echo: small enough');
    } finally {
      await bridge.close();
    }
  });

  it('--task-results-max-per-session bounds the results of the stdio bin', async () => {
    const bridge = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'stdio',
      env: { JWT_TOKEN: service },
      args: ['--task-results-max-per-session', '30000'],
    });
    const tasks = legacyTasks(bridge.client);
    try {
      const [first, second] = [await bigTask(tasks), await bigTask(tasks)];
      expect((await refusalOf(tasks, first))?.message).toContain('was dropped to stay within the 29.3 KiB per session (--task-results-max-per-session)');
      expect(textOf(await tasks.result(second))).toContain('big answer line');
    } finally {
      await bridge.close();
    }
  });
});
