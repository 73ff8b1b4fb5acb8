import type { CreateTaskOptions } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { Result, Task } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { RequestError, JsonRpcCode } from '../kernel/errors.js';
import type { CallerTasks, TaskLimits } from './task-store.js';
import { type ResultBudget, SessionResults, type ResultHolder } from './task-results.js';
import { boundedTtl, cancelledResult, CANCELLED_MESSAGE, checkRunningLimit, taskNotFound, TERMINAL } from './task-states.js';

const PAGE_SIZE = 50;

interface Entry extends ResultHolder {
  task: Task;
  /** Aborted when the task is cancelled, expires or its session closes: the agent run stops upstream. */
  run: AbortController;
  expiry?: NodeJS.Timeout;
}

/**
 * The tasks of one session. Each session has a store of its own, so isolation does not depend on a
 * session id being passed along: a session can only ever reach the tasks it created, whatever id a
 * caller names, over HTTP as over stdio or in memory. A session is bound to one Mastra token, so a
 * task also belongs to that token. The `sessionId` arguments of the SDK's interface are therefore unused.
 */
export class MemoryCallerTasks implements CallerTasks {
  private readonly tasks = new Map<string, Entry>();
  private closed = false;
  private readonly results: SessionResults;

  constructor(
    private readonly limits: TaskLimits,
    processResults: ResultBudget,
    private readonly onClose: () => void,
  ) {
    this.results = new SessionResults(limits.taskResultsMaxPerSession, processResults);
  }

  async createTask(params: CreateTaskOptions): Promise<Task> {
    if (this.closed) throw new RequestError(JsonRpcCode.ConnectionClosed, 'The session is closed.');
    const { maxTasksPerSession, taskTtlMaxMs, pollIntervalMs } = this.limits;
    checkRunningLimit(this.runningCount(), maxTasksPerSession);
    const ttl = boundedTtl(params.ttl, taskTtlMaxMs);
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
    this.markEnded(entry, status);
  }

  async getTaskResult(taskId: string): Promise<Result> {
    const entry = this.tasks.get(taskId);
    if (!entry) throw taskNotFound(taskId);
    if (entry.dropped) throw new RequestError(JsonRpcCode.InvalidParams, entry.dropped);
    if (!entry.result) throw new Error(`Task ${taskId} has no result yet`);
    return entry.result;
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string): Promise<void> {
    const entry = this.live(taskId);
    if (statusMessage) entry.task.statusMessage = statusMessage;
    if (status === 'cancelled') {
      // The SDK's tasks/cancel only flips the status; this is where the Mastra run is stopped.
      entry.task.statusMessage = CANCELLED_MESSAGE;
      entry.result = cancelledResult;
      entry.run.abort(new DOMException('The task was cancelled', 'AbortError'));
    }
    if (TERMINAL.has(status)) this.markEnded(entry, status);
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

  /** A session's tasks are all its own, run in this process. */
  startedHere(taskId: string): boolean {
    return this.tasks.has(taskId);
  }

  private live(taskId: string): Entry {
    const entry = this.tasks.get(taskId);
    if (!entry) throw taskNotFound(taskId);
    if (TERMINAL.has(entry.task.status)) throw new Error(`Task ${taskId} is already ${entry.task.status}`);
    return entry;
  }

  private touch(entry: Entry, status: Task['status'], statusMessage?: string): void {
    entry.task.status = status;
    if (statusMessage) entry.task.statusMessage = statusMessage;
    entry.task.lastUpdatedAt = new Date().toISOString();
  }

  /** A finished task is kept for its TTL from when it finished, so a late run still leaves time to collect it. */
  private markEnded(entry: Entry, status: Task['status']): void {
    this.touch(entry, status);
    this.expireLater(entry);
  }

  /** The TTL counts from creation; a run still going when it ends is stopped, as nobody may collect it. */
  private expireLater(entry: Entry): void {
    clearTimeout(entry.expiry);
    entry.expiry = setTimeout(() => this.drop(entry, 'The task outlived its TTL'), entry.task.ttl ?? this.limits.taskTtlMaxMs);
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
