import type { RequestTaskStore } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PROGRESS_INTERVAL_MS, startTask, throttleProgress, type TaskRunContext } from '../src/tasks/task-runner.js';
import { silentLogger } from '../src/log.js';
import type { CallerTasks } from '../src/tasks/task-store.js';
import { runBin } from './support/bin.js';
import { waitFor } from './support/waiting.js';
import { taskBoard } from './support/defaults.js';

/** One turn of the event loop: every promise continuation queued before it has run (the store here is in memory). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** The session store as a request sees it, without the SDK's notifications. */
const asRequestStore = (session: CallerTasks): RequestTaskStore => ({
  createTask: (params) => session.createTask(params),
  getTask: async (id) => (await session.getTask(id))!,
  storeTaskResult: (id, status, result) => session.storeTaskResult(id, status, result),
  getTaskResult: (id) => session.getTaskResult(id),
  updateTaskStatus: (id, status, message) => session.updateTaskStatus(id, status, message),
  listTasks: (cursor) => session.listTasks(cursor),
});

afterEach(() => {
  vi.useRealTimers();
});

describe('throttleProgress', () => {
  it('sends the first message at once, then at most one per interval, and always the latest', () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const progress = throttleProgress((m) => sent.push(m), 100);
    progress.report('a');
    progress.report('b');
    progress.report('c');
    expect(sent).toEqual(['a']);
    vi.advanceTimersByTime(100);
    expect(sent).toEqual(['a', 'c']);
    progress.report('d');
    progress.stop();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual(['a', 'c']);
  });
});

describe('startTask', () => {
  it("shows the run's progress lines as the task's statusMessage, then its end", async () => {
    const session = taskBoard().openSession();
    let context!: TaskRunContext;
    let answer!: (result: CallToolResult) => void;
    const run = (c: TaskRunContext) => {
      context = c;
      return new Promise<CallToolResult>((resolve) => (answer = resolve));
    };
    const { task } = await startTask(run, { session, store: asRequestStore(session), label: 'agent "x"', logger: silentLogger });
    expect(task.statusMessage).toBe('running agent "x"');
    context.onProgress('calling tool add');
    expect((await session.getTask(task.taskId))?.statusMessage).toBe('calling tool add');
    context.onProgress('writing the answer: 10 characters');
    // Within the interval of the first: it shows once the interval has passed.
    expect((await session.getTask(task.taskId))?.statusMessage).toBe('calling tool add');
    await waitFor(
      'the throttled message',
      async () => (await session.getTask(task.taskId))?.statusMessage === 'writing the answer: 10 characters',
      PROGRESS_INTERVAL_MS * 4,
    );
    answer({ content: [{ type: 'text', text: 'done' }] });
    await waitFor('the task to complete', async () => (await session.getTask(task.taskId))?.status === 'completed');
    expect(await session.getTask(task.taskId)).toMatchObject({ status: 'completed', statusMessage: 'agent "x" answered' });
    expect(await session.getTaskResult(task.taskId)).toEqual({ content: [{ type: 'text', text: 'done' }] });
    session.close();
  });

  it('a cancelled task aborts the run and keeps nothing it produces afterwards', async () => {
    const session = taskBoard().openSession();
    let signal!: AbortSignal;
    let answered!: Promise<CallToolResult>;
    const run = (c: TaskRunContext) => {
      signal = c.signal;
      answered = new Promise<CallToolResult>((resolve) => c.signal.addEventListener('abort', () => resolve({ content: [{ type: 'text', text: 'late' }] })));
      return answered;
    };
    const { task } = await startTask(run, { session, store: asRequestStore(session), label: 'agent "x"', logger: silentLogger });
    await session.updateTaskStatus(task.taskId, 'cancelled');
    expect(signal.aborted).toBe(true);
    // The run has answered, late; what the task does with that answer is done a turn of the event loop later.
    await answered;
    await nextTurn();
    expect((await session.getTask(task.taskId))?.status).toBe('cancelled');
    expect(await session.getTaskResult(task.taskId)).toMatchObject({ isError: true });
    session.close();
  });
});

describe('task settings', () => {
  it.each([
    [['--task-ttl-max', '0'], '--task-ttl-max="0" must be a duration of at least 100ms'],
    [['--max-tasks-per-session', 'many'], '--max-tasks-per-session="many" must be a positive number of tasks'],
  ])('%j exits 1 with one clear line', (args, expected) => {
    const run = runBin(args);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toContain(expected);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
