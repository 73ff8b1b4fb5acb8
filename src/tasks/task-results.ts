import type { Result, Task } from '@modelcontextprotocol/sdk/types.js';
import { formatBytes } from '../kernel/byte-size.js';

/**
 * Stored task results, counted in bytes (their JSON size) so that they stay within a budget. When a new
 * result does not fit, the oldest stored ones are evicted first: a client most likely collected those
 * already, or has forgotten them, while the newest result is the one it is about to ask for.
 */
export class ResultBudget {
  private readonly kept = new Map<object, { bytes: number; evict: () => void }>();
  private used = 0;

  constructor(
    readonly maxBytes: number,
    /** The flag that sets this budget, named in the error a dropped result gives. */
    readonly flag: string,
    /** What the budget covers, as the error says it: "per session", "for the whole bridge". */
    readonly scope: string,
  ) {}

  /** Makes room for `bytes` by evicting the oldest results (`evict` must release them here), then keeps `key`. */
  admit(key: object, bytes: number, evict: () => void): void {
    for (const held of this.kept.values()) {
      if (this.used + bytes <= this.maxBytes) break;
      held.evict();
    }
    this.kept.set(key, { bytes, evict });
    this.used += bytes;
  }

  release(key: object): void {
    const held = this.kept.get(key);
    if (!held) return;
    this.kept.delete(key);
    this.used -= held.bytes;
  }

  /** "64 MiB per session (--task-results-max-per-session)" */
  describe(): string {
    return `${formatBytes(this.maxBytes)} ${this.scope} (${this.flag})`;
  }
}

/** What tasks/result answers for a result too large for `budget` to keep at all. */
export const tooLargeMessage = (taskId: string, bytes: number, budget: ResultBudget): string =>
  `The result of task ${taskId} (${formatBytes(bytes)}) is larger than the ${budget.describe()} allowed for stored task results, so it was not kept. Raise ${budget.flag}, or call the agent without a task.`;

/** What tasks/result answers for a result that `budget` evicted to make room for newer ones. */
export const droppedMessage = (taskId: string, budget: ResultBudget): string =>
  `The result of task ${taskId} was dropped to stay within the ${budget.describe()} allowed for stored task results: newer results took its place. Run the agent again; next time collect results sooner, or raise ${budget.flag}.`;

/** How much room a result takes, as the client will receive it. */
export const sizeOf = (result: unknown): number => Buffer.byteLength(JSON.stringify(result));

/** A task as it holds its result: kept, or gone with the reason why. */
export interface ResultHolder {
  task: Pick<Task, 'taskId'>;
  result?: Result;
  /** Why the result is gone while the task is still listed; tasks/result answers with it. */
  dropped?: string;
}

/** One session's stored results, within its own budget and the one all sessions share. */
export class SessionResults {
  private readonly budgets: ResultBudget[];

  constructor(maxBytesPerSession: number, shared: ResultBudget) {
    this.budgets = [new ResultBudget(maxBytesPerSession, '--task-results-max-per-session', 'per session'), shared];
  }

  /** Keeps the result, evicting the oldest kept ones as needed; one larger than a whole budget is not kept. */
  keep(holder: ResultHolder, result: Result): void {
    const bytes = sizeOf(result);
    const tooSmall = this.budgets.find((budget) => bytes > budget.maxBytes);
    if (tooSmall) {
      holder.dropped = tooLargeMessage(holder.task.taskId, bytes, tooSmall);
      return;
    }
    holder.result = result;
    for (const budget of this.budgets) budget.admit(holder, bytes, () => this.drop(holder, budget));
  }

  /** The task is gone (expired, its session closed): its result no longer counts. */
  release(holder: ResultHolder): void {
    for (const budget of this.budgets) budget.release(holder);
  }

  private drop(holder: ResultHolder, budget: ResultBudget): void {
    holder.result = undefined;
    holder.dropped = droppedMessage(holder.task.taskId, budget);
    this.release(holder);
  }
}
