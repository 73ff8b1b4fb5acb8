import type { Task } from '@modelcontextprotocol/sdk/types.js';
import { RequestError, JsonRpcCode } from '../kernel/errors.js';
import { errorResult } from '../kernel/results.js';

/** A task in one of these never changes again: a run that ends afterwards leaves it as it is. */
export const TERMINAL = new Set<Task['status']>(['completed', 'failed', 'cancelled']);

export const taskNotFound = (taskId: string) => new Error(`Task ${taskId} not found`);

export const CANCELLED_MESSAGE = 'Cancelled by the client; the agent run on the Mastra server was stopped.';

export const cancelledResult = errorResult('The task was cancelled before the agent answered; the agent run was stopped.', 'tool_error');

/** Refuses a task beyond the running limit, saying what the caller can do. */
export function checkRunningLimit(running: number, max: number): void {
  if (running >= max)
    throw new RequestError(
      JsonRpcCode.InvalidRequest,
      `This session already has ${max} agent tasks running, the most it may (--max-tasks-per-session). Wait for one to finish, or cancel one with tasks/cancel, then try again.`,
    );
}

/** A task's TTL: what the client asked for, within the bridge's bounds. */
export const boundedTtl = (requested: number | null | undefined, taskTtlMaxMs: number): number =>
  Math.max(1, Math.min(requested ?? taskTtlMaxMs, taskTtlMaxMs));
