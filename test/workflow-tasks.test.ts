import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, textOf } from './support/mcp-clients.js';
import { FAILED_AGENT_STATUS, legacyTasks, modernTasksOverHttp, settle, type TaskClient } from './support/task-clients.js';
import { taskBoard } from './support/defaults.js';

/** Workflows run as tasks, one body for both eras: 2025-11-25 in memory, 2026-07-28 over HTTP (the tasks extension). */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
});
afterAll(async () => {
  await stack?.close();
});

describe.each(ERA_CASES)('workflow tasks in MCP $name', ({ era }) => {
  let bridge: Bridge;
  let tasks: TaskClient;
  beforeAll(async () => {
    if (era === 'legacy') {
      const legacy = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', settings: { tasks: taskBoard({ pollIntervalMs: 50 }) } });
      [bridge, tasks] = [legacy, legacyTasks(legacy.client)];
    } else {
      bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
      tasks = modernTasksOverHttp(bridge.url);
    }
  });
  afterAll(async () => {
    await bridge?.close();
  });

  it("a task-augmented call runs the workflow in the background and ends with the plain call's result", async () => {
    const task = await tasks.start('run_greet', { name: era, times: 1 }, 60_000);
    expect(task.status).toBe('working');
    expect((await settle(tasks, task.taskId)).last.status).toBe('completed');
    expect((await tasks.result(task.taskId)).structuredContent).toEqual({ greeting: `HELLO ${era.toUpperCase()}!`, length: era.length + 7 });
  });

  it('a suspended workflow ends its task with the suspended result, which the resume tool can follow as a task too', async () => {
    const task = await tasks.start('run_expense', { item: 'lamp', amount: 40 }, 60_000);
    // Nobody could be asked: the run stays suspended, and the result says how to resume it.
    expect((await settle(tasks, task.taskId)).last.status).toBe(FAILED_AGENT_STATUS[era]);
    const suspended = await tasks.result(task.taskId);
    expect(suspended.isError).toBe(true);
    const runId = /runId "([0-9a-f-]{36})"/.exec(textOf(suspended))![1]!;
    const resumed = await tasks.start('resume_expense', { runId, answer: { approved: false } }, 60_000);
    expect((await settle(tasks, resumed.taskId)).last.status).toBe('completed');
    expect((await tasks.result(resumed.taskId)).structuredContent).toEqual({ status: 'rejected' });
  });

  it('cancelling the task cancels the run upstream', async () => {
    const started = once(stack.mastra.workflowEvents, 'started');
    const cancelled = once(stack.mastra.workflowEvents, 'cancelled');
    const task = await tasks.start('run_slowflow', { label: `task ${era}` }, 60_000);
    const [runId] = await started;
    await tasks.cancel(task.taskId);
    expect(await cancelled).toEqual([runId]);
    expect((await tasks.get(task.taskId)).status).toBe('cancelled');
  });
});
