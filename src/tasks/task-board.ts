import type { CallerTasks, SharedTaskStore, TaskLimits, TaskStoreState } from './task-store.js';
import { SERVICE_IDENTITY } from '../identity/callers.js';
import { MemoryCallerTasks } from './memory-tasks.js';
import { MemoryRunOwners, type RunOwners } from './run-owners.js';
import { ResultBudget } from './task-results.js';

export interface TaskBoardOptions {
  /** Keep tasks there instead of in this process's memory. */
  shared?: (limits: TaskLimits) => SharedTaskStore;
}

/**
 * Where the agent tasks of all sessions live: one store per session, with shared limits.
 * Closing the board stops every run (process shutdown).
 */
export class TaskBoard {
  readonly limits: TaskLimits;
  private readonly sessions = new Set<CallerTasks>();
  private readonly results: ResultBudget;
  private readonly identities = new Map<string, CallerTasks>();
  private readonly shared?: SharedTaskStore;
  /** Who started each workflow run: in the shared store when there is one, else in this process. */
  readonly runOwners: RunOwners;

  constructor(limits: TaskLimits, options: TaskBoardOptions = {}) {
    this.limits = limits;
    this.results = new ResultBudget(this.limits.taskResultsMax, '--task-results-max', 'for all sessions together');
    this.shared = options.shared?.(this.limits);
    this.runOwners = this.shared?.runOwners ?? new MemoryRunOwners(this.limits.runOwnerTtlMs);
  }

  /**
   * A new session's own store; it leaves the board when closed. With a shared store, the session
   * reaches the tasks of its `identity` (`Caller.identity`), whichever replica started them.
   */
  openSession(identity: string = SERVICE_IDENTITY): CallerTasks {
    if (this.shared) return this.shared.open(identity);
    const session: CallerTasks = new MemoryCallerTasks(this.limits, this.results, () => this.sessions.delete(session));
    this.sessions.add(session);
    return session;
  }

  /**
   * The store of one caller identity, for requests that come without a session (MCP 2026-07-28):
   * every request of that identity reaches the same tasks, and no other identity reaches them.
   */
  forIdentity(identity: string): CallerTasks {
    let tasks = this.identities.get(identity);
    if (!tasks && this.shared) {
      tasks = this.shared.open(identity);
      this.identities.set(identity, tasks);
    }
    if (!tasks) {
      const created: CallerTasks = new MemoryCallerTasks(this.limits, this.results, () => {
        this.sessions.delete(created);
        this.identities.delete(identity);
      });
      this.sessions.add(created);
      this.identities.set(identity, created);
      tasks = created;
    }
    return tasks;
  }

  state(): TaskStoreState {
    return this.shared?.state() ?? { kind: 'memory' };
  }

  /** Stops every run of this process; a shared store tells the other replicas that they stopped. */
  async close(): Promise<void> {
    for (const session of [...this.sessions]) session.close();
    await this.shared?.close();
  }
}
