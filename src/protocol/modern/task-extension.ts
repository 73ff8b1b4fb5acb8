import { MissingRequiredClientCapabilityError, ProtocolErrorCode, type Server } from '@modelcontextprotocol/server';
import { RequestError } from '../../kernel/errors.js';
import type { CallToolResult, Task } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { startTask } from '../../tasks/task-runner.js';
import type { ToolCall } from '../../calls/tool-call.js';
import type { Logger } from '../../log.js';
import type { BridgeObserver } from '../../kernel/observer.js';
import type { CallerTasks } from '../../tasks/task-store.js';
import { TaskQuestions } from './task-questions.js';

/**
 * Agent tasks in MCP 2026-07-28, through the `io.modelcontextprotocol/tasks` extension (SEP-2663),
 * on the same store as 2025 tasks: a task-augmented tools/call answers a task, then tasks/get,
 * tasks/update and tasks/cancel. The store is the caller identity's own, so another identity's
 * task id names nothing here.
 */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** Whether the request's client declared the extension, which lets the server answer with a task. */
export function acceptsTasks(envelope: { 'io.modelcontextprotocol/clientCapabilities'?: { extensions?: Record<string, unknown> } } | undefined): boolean {
  return envelope?.['io.modelcontextprotocol/clientCapabilities']?.extensions?.[TASKS_EXTENSION] !== undefined;
}

/** The extension's task fields from the store's (2025-shaped) task. */
const wireTask = ({ taskId, status, statusMessage, createdAt, lastUpdatedAt, ttl, pollInterval }: Task) => ({
  taskId,
  status,
  ...(statusMessage ? { statusMessage } : {}),
  createdAt,
  lastUpdatedAt,
  ttlMs: ttl ?? null,
  ...(pollInterval ? { pollIntervalMs: pollInterval } : {}),
});

/** Where a task's status changes go as `notifications/tasks`; only a connection that outlives the request (stdio) has one. */
export type TaskStatusSink = (notification: { method: 'notifications/tasks'; params: Record<string, unknown> }) => Promise<void>;

/** Questions of running tasks, shared by every request of this process (a tasks/update is a request of its own). */
const questions = new TaskQuestions();

/** `canElicit`: whether the client that started the task declared elicitation, so the task may ask it. */
export async function startModernTask(
  call: ToolCall,
  tasks: CallerTasks,
  { logger, observer }: { logger: Logger; observer: BridgeObserver },
  sink?: TaskStatusSink,
  canElicit = false,
) {
  const announce = (taskId: string) => {
    if (sink)
      void detailedTask(tasks, taskId).then(
        (params) => sink({ method: 'notifications/tasks', params }),
        () => {},
      );
  };
  // The same store, told to announce each change it makes.
  const store: Parameters<typeof startTask>[1]['store'] = {
    createTask: (params) => tasks.createTask(params),
    updateTaskStatus: async (taskId, status, message) => {
      await tasks.updateTaskStatus(taskId, status, message);
      announce(taskId);
    },
    storeTaskResult: async (taskId, status, result) => {
      await tasks.storeTaskResult(taskId, status, result);
      announce(taskId);
    },
  };
  const { task } = await startTask((context) => call.run({ task: context, ask: questions.askerFor(context, canElicit, tasks.inputs) }), {
    session: tasks,
    store,
    label: call.label,
    logger,
    observer,
  });
  return { resultType: 'task' as const, ...wireTask(task) };
}

function notFound(taskId: string): RequestError {
  return new RequestError(
    ProtocolErrorCode.InvalidParams,
    `Task ${taskId} not found: a task is visible only to the token that created it, and only for its TTL after it ends.`,
  );
}

/**
 * The extension's `failed` is for protocol errors; an agent that failed still answered the call
 * with an isError result, so such a task is `completed` with that result, as a plain call would be.
 */
async function detailedTask(tasks: CallerTasks, taskId: string) {
  const task = await tasks.getTask(taskId);
  if (!task) throw notFound(taskId);
  const base = wireTask(task);
  if (task.status === 'completed' || task.status === 'failed') {
    const result = (await tasks.getTaskResult(taskId)) as CallToolResult;
    return { ...base, status: 'completed' as const, result: { resultType: 'complete', ...result } };
  }
  if (task.status !== 'input_required') return base;
  // A task asked in a way this client cannot answer (a 2025 task, asked through its own session's
  // tasks/result) still waits: it shows no request to answer, as the extension's schema allows.
  return { ...base, inputRequests: (await questions.inputRequestsOf(taskId, tasks.inputs)) ?? {} };
}

const taskIdParams = z.object({ taskId: z.string() });

type TaskContext = { mcpReq: { envelope?: unknown } };

/** The task methods exist only for clients that declared the extension on the request (SEP-2663). */
function requireExtension(ctx: TaskContext): void {
  if (!acceptsTasks(ctx.mcpReq.envelope as never))
    throw new MissingRequiredClientCapabilityError(
      { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
      `Task methods need the ${TASKS_EXTENSION} extension: declare it in the request's clientCapabilities.extensions.`,
    );
}

async function ownTask(tasks: CallerTasks, taskId: string, ctx: TaskContext): Promise<Task> {
  requireExtension(ctx);
  const task = await tasks.getTask(taskId);
  if (!task) throw notFound(taskId);
  return task;
}

export function registerTaskMethods(server: Server, tasks: CallerTasks): void {
  server.setRequestHandler('tasks/get', { params: taskIdParams }, async ({ taskId }, ctx) => {
    requireExtension(ctx);
    // It reads the task itself (one Redis round trip less per poll) and refuses another identity's as not found.
    return (await detailedTask(tasks, taskId)) as never;
  });
  // The answers to a task's question (a tool approval, a suspended step); the task must be the caller's.
  // (The SDK lifts `inputResponses` off the params into the context before a handler sees them.)
  server.setRequestHandler('tasks/update', { params: taskIdParams }, async ({ taskId }, ctx) => {
    await ownTask(tasks, taskId, ctx);
    await questions.update(taskId, (ctx as { mcpReq: { inputResponses?: Record<string, unknown> } }).mcpReq.inputResponses, tasks.inputs);
    return {};
  });
  // Cancelling a task that already ended is acknowledged and changes nothing.
  server.setRequestHandler('tasks/cancel', { params: taskIdParams }, async ({ taskId }, ctx) => {
    const task = await ownTask(tasks, taskId, ctx);
    // The store aborts the agent run upstream.
    if (task.status === 'working' || task.status === 'input_required') await tasks.updateTaskStatus(taskId, 'cancelled');
    return {};
  });
}
