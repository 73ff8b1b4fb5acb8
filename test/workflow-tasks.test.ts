import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInMemory, startStack, textOf, waitFor, type Connected, type Stack } from './helpers.js';
import { postModernTasks, startHttpBridge } from './http-helpers.js';
import { taskBoard } from './support/defaults.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
});
afterAll(async () => {
  await stack?.close();
});

describe('workflow tasks in MCP 2025-11-25', () => {
  let session: Connected;
  beforeAll(async () => {
    session = await connectInMemory({ listFrom: stack.mastra.url, tasks: taskBoard({ pollIntervalMs: 50 }) });
  });
  afterAll(async () => {
    await session?.close();
  });
  const startTask = async (name: string, args: Record<string, unknown>) =>
    (await session.client.request({ method: 'tools/call', params: { name, arguments: args, task: { ttl: 60_000 } } }, CreateTaskResultSchema)).task;
  const settled = (taskId: string) =>
    waitFor(`task ${taskId} to end`, async () => {
      const task = await session.client.experimental.tasks.getTask(taskId);
      return task.status !== 'working' && task;
    });

  it("a task-augmented call runs the workflow in the background and ends with the plain call's result", async () => {
    const task = await startTask('run_greet', { name: 'tasker', times: 1 });
    expect(task.status).toBe('working');
    expect((await settled(task.taskId)).status).toBe('completed');
    const result = await session.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.structuredContent).toEqual({ greeting: 'HELLO TASKER!', length: 13 });
  });

  it('a suspended workflow ends its task with the suspended result, which the resume tool can follow as a task too', async () => {
    const task = await startTask('run_expense', { item: 'lamp', amount: 40 });
    expect((await settled(task.taskId)).status).toBe('failed');
    const suspended = await session.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    const runId = /runId "([0-9a-f-]{36})"/.exec(textOf(suspended))![1]!;
    const resumed = await startTask('resume_expense', { runId, answer: { approved: false } });
    expect((await settled(resumed.taskId)).status).toBe('completed');
    expect((await session.client.experimental.tasks.getTaskResult(resumed.taskId, CallToolResultSchema)).structuredContent).toEqual({ status: 'rejected' });
  });

  it('cancelling the task cancels the run upstream', async () => {
    const started = once(stack.mastra.workflowEvents, 'started');
    const cancelled = once(stack.mastra.workflowEvents, 'cancelled');
    const task = await startTask('run_slowflow', { label: 'task 2025' });
    const [runId] = await started;
    await session.client.experimental.tasks.cancelTask(task.taskId);
    expect(await cancelled).toEqual([runId]);
  });
});

describe('workflow tasks in MCP 2026-07-28 (the io.modelcontextprotocol/tasks extension)', () => {
  let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
  beforeAll(async () => {
    bridge = await startHttpBridge(stack.mastra.url);
  });
  afterAll(async () => {
    await bridge?.close({ graceMs: 0 });
  });

  /** A raw 2026-07-28 request whose client declares the tasks extension. */
  const rpc = async (method: string, params: Record<string, unknown>) => (await postModernTasks(bridge.url, method, params)).result as Record<string, any>;

  it('a task-augmented call answers a task, and tasks/get ends with the workflow output', async () => {
    const task = await rpc('tools/call', { name: 'run_greet', arguments: { name: 'modern', times: 1 } });
    expect(task.resultType).toBe('task');
    const done = await waitFor('the task to complete', async () => {
      const current = await rpc('tasks/get', { taskId: task.taskId });
      return current.status === 'completed' && current;
    });
    expect((done.result as CallToolResult).structuredContent).toEqual({ greeting: 'HELLO MODERN!', length: 13 });
  });

  it('tasks/cancel cancels the run upstream', async () => {
    const started = once(stack.mastra.workflowEvents, 'started');
    const cancelled = once(stack.mastra.workflowEvents, 'cancelled');
    const task = await rpc('tools/call', { name: 'run_slowflow', arguments: { label: 'task 2026' } });
    const [runId] = await started;
    await rpc('tasks/cancel', { taskId: task.taskId });
    expect(await cancelled).toEqual([runId]);
  });
});
