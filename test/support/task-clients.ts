import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, CreateTaskResultSchema, type CallToolResult, type Task } from '@modelcontextprotocol/sdk/types.js';
import type { Era } from './mcp-clients.js';
import { postModernTasks, TASKS_CAPABILITY } from './raw-http.js';
import type { RawMessage, RawStdio } from './raw-stdio.js';
import { waitFor } from './waiting.js';

/** A task as a client of either era sees it; `result` once a 2026-07-28 task has one (tasks/get carries it). */
export interface TaskLook {
  taskId: string;
  status: string;
  statusMessage?: string;
  ttl?: number | null;
  result?: CallToolResult;
}

/** The task methods of either era behind one shape, so that one test body runs over both. */
export interface TaskClient {
  era: Era;
  /** Starts `name` as a task; `ttl` is asked for in 2025-11-25 only (the extension has no field for it). */
  start(name: string, args: Record<string, unknown>, ttl?: number): Promise<TaskLook>;
  get(taskId: string): Promise<TaskLook>;
  /** The task's result once it ended (2025: tasks/result, which waits; 2026: tasks/get, polled). */
  result(taskId: string): Promise<CallToolResult>;
  cancel(taskId: string): Promise<void>;
  /** The ids this caller can list (2025 only: the extension has no tasks/list). */
  list?(): Promise<string[]>;
}

/** How each era ends the task of an agent that failed: 2026-07-28 keeps `failed` for protocol errors, so it is `completed` with the isError result. */
export const FAILED_AGENT_STATUS = { legacy: 'failed', modern: 'completed' } as const;

const ENDED = ['completed', 'failed', 'cancelled'];

/** Polls the task until it ends; every status and status message seen on the way, and the last look. */
export async function settle(tasks: TaskClient, taskId: string, timeoutMs = 10_000): Promise<{ statuses: string[]; messages: string[]; last: TaskLook }> {
  const statuses: string[] = [];
  const messages: string[] = [];
  const last = await waitFor(
    `task ${taskId} to end`,
    async () => {
      const task = await tasks.get(taskId);
      if (statuses.at(-1) !== task.status) statuses.push(task.status);
      if (task.statusMessage && messages.at(-1) !== task.statusMessage) messages.push(task.statusMessage);
      return ENDED.includes(task.status) && task;
    },
    timeoutMs,
  ).catch((error: Error) => {
    // Where it stood tells a run that never got going from one that stalled on its way.
    throw new Error(`${error.message}; statuses seen: ${statuses.join(' -> ')}; status messages: ${JSON.stringify(messages)}`);
  });
  return { statuses, messages, last };
}

/** 2025-11-25: the v1 SDK client's own task methods. */
export function legacyTasks(client: Pick<Client, 'request' | 'experimental'>): TaskClient {
  const look = ({ taskId, status, statusMessage, ttl }: Task): TaskLook => ({ taskId, status, statusMessage, ttl });
  return {
    era: 'legacy',
    start: async (name, args, ttl) => {
      const params = { name, arguments: args, task: ttl === undefined ? {} : { ttl } };
      return look((await client.request({ method: 'tools/call', params }, CreateTaskResultSchema)).task);
    },
    get: async (taskId) => look(await client.experimental.tasks.getTask(taskId)),
    result: (taskId) => client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema) as Promise<CallToolResult>,
    cancel: async (taskId) => void (await client.experimental.tasks.cancelTask(taskId)),
    list: async () => (await client.experimental.tasks.listTasks()).tasks.map((task) => task.taskId),
  };
}

/** 2026-07-28: raw requests that declare the tasks extension (the v2 client has no task methods), by `send`. */
export function modernTasks(send: (method: string, params: Record<string, unknown>) => Promise<RawMessage>): TaskClient {
  const ask = async (method: string, params: Record<string, unknown>) => {
    const answer = await send(method, params);
    if (answer.error) throw Object.assign(new Error(`MCP error ${answer.error.code}: ${answer.error.message}`), { code: answer.error.code });
    return answer.result as Record<string, any>;
  };
  const look = ({ taskId, status, statusMessage, ttlMs, result }: Record<string, any>): TaskLook => ({ taskId, status, statusMessage, ttl: ttlMs, result });
  const tasks: TaskClient = {
    era: 'modern',
    start: async (name, args) => look(await ask('tools/call', { name, arguments: args })),
    get: async (taskId) => look(await ask('tasks/get', { taskId })),
    result: async (taskId) => {
      const { last } = await settle(tasks, taskId);
      if (!last.result) throw new Error(`task ${taskId} ended ${last.status}, without a result`);
      return last.result;
    },
    cancel: async (taskId) => void (await ask('tasks/cancel', { taskId })),
  };
  return tasks;
}

export const modernTasksOverHttp = (url: string, token?: string) => modernTasks((method, params) => postModernTasks(url, method, params, token));
export const modernTasksOverStdio = (raw: RawStdio) => modernTasks((method, params) => raw.request(method, params, TASKS_CAPABILITY));

/** A result as a plain call gives it: without the task's `_meta` (2025) or `resultType` (2026). */
export const asPlainResult = (result: CallToolResult) => {
  const { _meta, resultType, ...rest } = result as CallToolResult & { resultType?: string };
  return rest;
};
