import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { Request, RequestId, Task } from '@modelcontextprotocol/sdk/types.js';
import type { RunOwners } from './run-owners.js';

/** Bounds on agent tasks, shared by every session of the process; each named as its setting in config.ts. */
export interface TaskLimits {
  /** Longest TTL a client may ask for, in ms; also the TTL of a task that asks for none. */
  taskTtlMaxMs: number;
  /** Tasks one session may have running at once. */
  maxTasksPerSession: number;
  /** How often clients are asked to poll a task, in ms. */
  pollIntervalMs: number;
  /** Bytes (as JSON) of finished tasks' results one session may hold; the oldest go first. */
  taskResultsMaxPerSession: number;
  /** Bytes of finished tasks' results all sessions together may hold; the oldest go first. */
  taskResultsMax: number;
  /** How long the bridge remembers who started a workflow run (see run-owners.ts). */
  runOwnerTtlMs: number;
}

/**
 * The tasks one session or one caller identity can reach: the SDK v1 `TaskStore` methods (the
 * `sessionId` arguments are unused, since each store is already scoped), plus what the bridge needs.
 */
export interface CallerTasks extends TaskStore {
  /** The SDK passes the request too; the bridge's stores do not need it. */
  createTask(taskParams: CreateTaskOptions, requestId?: RequestId, request?: Request, sessionId?: string): Promise<Task>;
  /** Aborted when the task is cancelled (from any replica), expires or its session closes; undefined for a task not running here. */
  signalOf(taskId: string): AbortSignal | undefined;
  /** Sets the message tasks/get shows, without a status change (and so without a notification). */
  describe(taskId: string, statusMessage: string): void;
  /** The session is gone. In memory its tasks go with it; in a shared store they stay their identity's. */
  close(): void;
  /** Tasks this store started that still run: a session with any is not idle, even when no request is in flight. */
  runningCount(): number;
  /** Whether this store (this session, this identity's requests) started the task and runs it in this process. */
  startedHere(taskId: string): boolean;
  /** A shared store's: a waiting task's question kept with the task, so every replica shows it and can answer it. */
  inputs?: SharedInputs;
}

/**
 * The open question of a 2026-07-28 task that waits for a person, kept where every replica reads
 * it: only what the client would see anyway (the form and its message, never a token), bounded.
 */
export interface SharedInputs {
  /** Shows the run's open input requests (one, under `key`) with its task. */
  show(taskId: string, key: string, inputRequests: Record<string, unknown>): Promise<void>;
  /** What tasks/get shows while the task is `input_required`. */
  shown(taskId: string): Promise<Record<string, unknown> | undefined>;
  /** Takes the answer to the open request, once, and sends it to the replica running the task; false when none of `responses` answers it. */
  answer(taskId: string, responses: Record<string, unknown>): Promise<boolean>;
  /** Where the runner hears the answers to its task; returns the way to stop hearing them. */
  onAnswer(taskId: string, deliver: (key: string, response: unknown) => void): () => void;
}

/** What /readyz says about where tasks live. */
export type TaskStoreState = { kind: 'memory' } | { kind: 'redis'; reachable: boolean; leaseMs: number };

/** A task store shared by replicas (Redis): there tasks belong to caller identities, in both eras. */
export interface SharedTaskStore {
  open(identity: string): CallerTasks;
  /** Who started each workflow run, known to every replica. */
  readonly runOwners: RunOwners;
  state(): TaskStoreState;
  close(): Promise<void>;
}
