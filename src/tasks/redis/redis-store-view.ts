import type { ResultBudget } from '../task-results.js';
import type { TaskLimits } from '../task-store.js';
import type { LocalRuns } from './local-runs.js';
import type { TaskCommands } from './task-scripts.js';

/** The key names of one prefix. */
export function keysOf(prefix: string, limits: TaskLimits, leaseMs: number) {
  return {
    prefix,
    task: (taskId: string) => `${prefix}task:${taskId}`,
    owner: (identity: string) => `${prefix}owner:${identity}`,
    sequence: `${prefix}seq`,
    cancelChannel: `${prefix}cancel`,
    /** Answers to waiting tasks' questions, "<taskId> <key> <response>", for the replica running each. */
    answerChannel: `${prefix}answer`,
    /** How long an identity's index outlives its last task: a TTL while running, then a TTL once finished. */
    keepMs: 2 * limits.taskTtlMaxMs + leaseMs,
  };
}

export type RedisKeys = ReturnType<typeof keysOf>;

/** What one identity's tasks (redis-tasks.ts) and their questions (redis-inputs.ts) use of the replica's store, which implements it. */
export interface RedisStoreView {
  readonly replica: string;
  readonly leaseMs: number;
  readonly runs: LocalRuns;
  readonly keys: RedisKeys;
  readonly limits: TaskLimits;
  readonly budgets: { perIdentity: ResultBudget; all: ResultBudget };
  /** The runs of this replica that wait for an answer, by task id. */
  readonly answerListeners: Map<string, (key: string, response: unknown) => void>;
  /** Runs one store operation, saying clearly when Redis cannot be reached. */
  call<T>(operation: (redis: TaskCommands) => Promise<T>): Promise<T>;
  /** This replica's id when it runs the task, else ''. */
  runnerOf(taskId: string): string;
}
