import type { CreateTaskOptions, TaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import { ErrorCode, type CallToolResult, type Result, type Task } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { RequestError } from '../calls/errors.js';
import { ResultBudget, SessionResults, type ResultHolder } from './task-results.js';

/** Bounds on agent tasks, shared by every session of the process. */
export interface TaskLimits {
  /** Longest TTL a client may ask for, in ms; also the TTL of a task that asks for none. Default: 1 hour. */
  ttlMaxMs?: number;
  /** Tasks one session may have running at once. Default: 10. */
  maxRunningPerSession?: number;
  /** How often clients are asked to poll a task, in ms. Default: 1000. */
  pollIntervalMs?: number;
  /** Bytes (as JSON) of finished tasks' results one session may hold; the oldest go first. Default: 64 MiB. */
  maxResultBytesPerSession?: number;
  /** Bytes of finished tasks' results all sessions together may hold; the oldest go first. Default: 256 MiB. */
  maxResultBytes?: number;
}

export const DEFAULT_TASK_TTL_MAX_MS = 60 * 60 * 1000;
export const DEFAULT_MAX_TASKS_PER_SESSION = 10;
export const DEFAULT_TASK_RESULTS_MAX_PER_SESSION = 64 * 2 ** 20;
export const DEFAULT_TASK_RESULTS_MAX = 256 * 2 ** 20;

const TERMINAL = new Set<Task['status']>(['completed', 'failed', 'cancelled']);
const PAGE_SIZE = 50;

interface Entry extends ResultHolder {
  task: Task;
  /** Aborted when the task is cancelled, expires or its session closes: the agent run stops upstream. */
  run: AbortController;
  expiry?: NodeJS.Timeout;
}

const notFound = (taskId: string) => new Error(`Task ${taskId} not found`);

/**
 * The tasks of one session. Each session has a store of its own, so isolation does not depend on a
 * session id being passed along: a session can only ever reach the tasks it created, whatever id a
 * caller names, over HTTP as over stdio or in memory. A session is bound to one Mastra token, so a
 * task also belongs to that token. The `sessionId` arguments of the SDK's interface are therefore unused.
 */
export class SessionTasks implements TaskStore {
  private readonly tasks = new Map<string, Entry>();
  private closed = false;
  private readonly results: SessionResults;

  constructor(
    private readonly limits: Required<TaskLimits>,
    processResults: ResultBudget,
    private readonly onClose: () => void,
  ) {
    this.results = new SessionResults(limits.maxResultBytesPerSession, processResults);
  }

  async createTask(params: CreateTaskOptions): Promise<Task> {
    if (this.closed) throw new RequestError(ErrorCode.ConnectionClosed, 'The session is closed.');
    const { maxRunningPerSession, ttlMaxMs, pollIntervalMs } = this.limits;
    if (this.runningCount() >= maxRunningPerSession)
      throw new RequestError(
        ErrorCode.InvalidRequest,
        `This session already has ${maxRunningPerSession} agent tasks running, the most it may (--max-tasks-per-session). Wait for one to finish, or cancel one with tasks/cancel, then try again.`,
      );
    const ttl = Math.max(1, Math.min(params.ttl ?? ttlMaxMs, ttlMaxMs));
    const now = new Date().toISOString();
    const task: Task = { taskId: randomUUID(), status: 'working', ttl, createdAt: now, lastUpdatedAt: now, pollInterval: pollIntervalMs };
    const entry: Entry = { task, run: new AbortController() };
    this.tasks.set(task.taskId, entry);
    this.expireLater(entry);
    return { ...task };
  }

  async getTask(taskId: string): Promise<Task | null> {
    const entry = this.tasks.get(taskId);
    return entry ? { ...entry.task } : null;
  }

  async storeTaskResult(taskId: string, status: 'completed' | 'failed', result: Result): Promise<void> {
    const entry = this.live(taskId);
    this.results.keep(entry, result);
    this.settle(entry, status);
  }

  async getTaskResult(taskId: string): Promise<Result> {
    const entry = this.tasks.get(taskId);
    if (!entry) throw notFound(taskId);
    if (entry.dropped) throw new RequestError(ErrorCode.InvalidParams, entry.dropped);
    if (!entry.result) throw new Error(`Task ${taskId} has no result yet`);
    return entry.result;
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string): Promise<void> {
    const entry = this.live(taskId);
    if (statusMessage) entry.task.statusMessage = statusMessage;
    if (status === 'cancelled') {
      // The SDK's tasks/cancel only flips the status; this is where the Mastra run is stopped.
      entry.task.statusMessage = 'Cancelled by the client; the agent run on the Mastra server was stopped.';
      entry.result = cancelledResult;
      entry.run.abort(new DOMException('The task was cancelled', 'AbortError'));
    }
    if (TERMINAL.has(status)) this.settle(entry, status);
    else this.touch(entry, status);
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const ids = [...this.tasks.keys()];
    const start = cursor === undefined ? 0 : ids.indexOf(cursor) + 1;
    if (cursor !== undefined && start === 0) throw new Error(`Invalid cursor: ${cursor}`);
    const page = ids.slice(start, start + PAGE_SIZE);
    const tasks = page.map((id) => ({ ...this.tasks.get(id)!.task }));
    return start + PAGE_SIZE < ids.length ? { tasks, nextCursor: page.at(-1) } : { tasks };
  }

  /** Aborted when the task is cancelled, expires or the session closes; undefined for an unknown task. */
  signalOf(taskId: string): AbortSignal | undefined {
    return this.tasks.get(taskId)?.run.signal;
  }

  /** Sets the message tasks/get shows, without a status change (and so without a notification). */
  describe(taskId: string, statusMessage: string): void {
    const entry = this.tasks.get(taskId);
    if (entry && !TERMINAL.has(entry.task.status)) this.touch(entry, entry.task.status, statusMessage);
  }

  /** Stops every run and forgets every task: nobody can reach them once the session is gone. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.tasks.values()) this.drop(entry, 'The session closed');
    this.onClose();
  }

  /** Tasks still working: a session with any is not idle, even when no request is in flight. */
  runningCount(): number {
    let count = 0;
    for (const { task } of this.tasks.values()) if (!TERMINAL.has(task.status)) count++;
    return count;
  }

  private live(taskId: string): Entry {
    const entry = this.tasks.get(taskId);
    if (!entry) throw notFound(taskId);
    if (TERMINAL.has(entry.task.status)) throw new Error(`Task ${taskId} is already ${entry.task.status}`);
    return entry;
  }

  private touch(entry: Entry, status: Task['status'], statusMessage?: string): void {
    entry.task.status = status;
    if (statusMessage) entry.task.statusMessage = statusMessage;
    entry.task.lastUpdatedAt = new Date().toISOString();
  }

  /** A finished task is kept for its TTL from when it finished, so a late run still leaves time to collect it. */
  private settle(entry: Entry, status: Task['status']): void {
    this.touch(entry, status);
    this.expireLater(entry);
  }

  /** The TTL counts from creation; a run still going when it ends is stopped, as nobody may collect it. */
  private expireLater(entry: Entry): void {
    clearTimeout(entry.expiry);
    entry.expiry = setTimeout(() => this.drop(entry, 'The task outlived its TTL'), entry.task.ttl ?? this.limits.ttlMaxMs);
    // Retention must not keep the process alive once its clients are gone.
    entry.expiry.unref();
  }

  private drop(entry: Entry, reason: string): void {
    clearTimeout(entry.expiry);
    entry.run.abort(new DOMException(reason, 'AbortError'));
    this.results.release(entry);
    this.tasks.delete(entry.task.taskId);
  }
}

const cancelledResult: CallToolResult = {
  content: [{ type: 'text', text: 'The task was cancelled before the agent answered; the agent run was stopped.' }],
  isError: true,
};

/**
 * Where the agent tasks of all sessions live: one store per session, with shared limits.
 * Closing the board stops every run (process shutdown).
 */
export class TaskBoard {
  readonly limits: Required<TaskLimits>;
  private readonly sessions = new Set<SessionTasks>();
  private readonly results: ResultBudget;
  private readonly identities = new Map<string, SessionTasks>();

  constructor(limits: TaskLimits = {}) {
    this.limits = {
      ttlMaxMs: limits.ttlMaxMs ?? DEFAULT_TASK_TTL_MAX_MS,
      maxRunningPerSession: limits.maxRunningPerSession ?? DEFAULT_MAX_TASKS_PER_SESSION,
      pollIntervalMs: limits.pollIntervalMs ?? 1000,
      maxResultBytesPerSession: limits.maxResultBytesPerSession ?? DEFAULT_TASK_RESULTS_MAX_PER_SESSION,
      maxResultBytes: limits.maxResultBytes ?? DEFAULT_TASK_RESULTS_MAX,
    };
    this.results = new ResultBudget(this.limits.maxResultBytes, '--task-results-max', 'for all sessions together');
  }

  /** A new session's own store; it leaves the board when closed. */
  openSession(): SessionTasks {
    const session: SessionTasks = new SessionTasks(this.limits, this.results, () => this.sessions.delete(session));
    this.sessions.add(session);
    return session;
  }

  /**
   * The store of one caller identity, for requests that come without a session (MCP 2026-07-28):
   * every request of that identity reaches the same tasks, and no other identity reaches them.
   */
  forIdentity(identity: string): SessionTasks {
    let tasks = this.identities.get(identity);
    if (!tasks) {
      const created: SessionTasks = new SessionTasks(this.limits, this.results, () => {
        this.sessions.delete(created);
        this.identities.delete(identity);
      });
      this.sessions.add(created);
      this.identities.set(identity, created);
      tasks = created;
    }
    return tasks;
  }

  close(): void {
    for (const session of [...this.sessions]) session.close();
  }
}
