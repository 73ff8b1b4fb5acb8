import type { CreateTaskOptions } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { Result, Task } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { RequestError, JsonRpcCode } from '../../kernel/errors.js';
import type { CallerTasks, SharedInputs } from '../task-store.js';
import { droppedMessage, sizeOf, tooLargeMessage } from '../task-results.js';
import { boundedTtl, cancelledResult, CANCELLED_MESSAGE, checkRunningLimit, taskNotFound, TERMINAL } from '../task-states.js';
import { RedisTaskInputs } from './redis-inputs.js';
import { LAPSED } from './runner-failures.js';
import type { RedisStoreView } from './redis-store-view.js';

const PAGE_SIZE = 50;

const taskOf = (taskId: string, [status, statusMessage, ttl, createdAt, lastUpdatedAt, pollInterval]: (string | null)[]): Task => ({
  taskId,
  status: status as Task['status'],
  ...(statusMessage ? { statusMessage } : {}),
  ttl: Number(ttl),
  createdAt: createdAt!,
  lastUpdatedAt: lastUpdatedAt!,
  pollInterval: Number(pollInterval),
});

/**
 * The tasks of one caller identity in Redis, as one session or one identity's requests reach them:
 * every replica answers for every task of the identity; only runs started here are run here.
 * Ownership is checked inside each script, so another identity's task id names nothing.
 */
export class RedisCallerTasks implements CallerTasks {
  readonly inputs: SharedInputs;

  constructor(
    private readonly store: RedisStoreView,
    private readonly identity: string,
  ) {
    this.inputs = new RedisTaskInputs(store, identity);
  }

  async createTask(params: CreateTaskOptions): Promise<Task> {
    const { limits, runs, keys } = this.store;
    checkRunningLimit(runs.countOf(this), limits.maxTasksPerSession);
    const taskId = randomUUID();
    const ttl = boundedTtl(params.ttl, limits.taskTtlMaxMs);
    const now = new Date().toISOString();
    await this.store.call((redis) =>
      redis.taskCreate(
        keys.task(taskId),
        keys.owner(this.identity),
        keys.sequence,
        this.identity,
        this.store.replica,
        ttl,
        now,
        limits.pollIntervalMs,
        keys.keepMs,
        taskId,
      ),
    );
    runs.start(taskId, ttl, this);
    return { taskId, status: 'working', ttl, createdAt: now, lastUpdatedAt: now, pollInterval: limits.pollIntervalMs };
  }

  async getTask(taskId: string): Promise<Task | null> {
    const fields = await this.read(taskId, false);
    return fields && taskOf(taskId, fields);
  }

  async getTaskResult(taskId: string): Promise<Result> {
    const fields = await this.read(taskId, true);
    if (!fields) throw taskNotFound(taskId);
    const [result, dropped] = fields.slice(-2);
    if (dropped) throw new RequestError(JsonRpcCode.InvalidParams, this.droppedReason(taskId, dropped));
    if (!result) throw new Error(`Task ${taskId} has no result yet`);
    return JSON.parse(result) as Result;
  }

  async storeTaskResult(taskId: string, status: 'completed' | 'failed', result: Result): Promise<void> {
    const { keys, limits, runs } = this.store;
    try {
      const answer = await this.store.call((redis) =>
        redis.taskStore(
          keys.task(taskId),
          keys.prefix,
          this.identity,
          status,
          JSON.stringify(result),
          sizeOf(result),
          new Date().toISOString(),
          limits.taskResultsMaxPerSession,
          limits.taskResultsMax,
          taskId,
          keys.keepMs,
          this.store.runnerOf(taskId),
        ),
      );
      this.check(taskId, answer);
    } finally {
      runs.end(taskId);
    }
  }

  async updateTaskStatus(taskId: string, status: Task['status'], statusMessage?: string): Promise<void> {
    await this.update(taskId, status, statusMessage ?? '');
    if (status === 'cancelled') this.store.runs.abort(taskId, 'The task was cancelled');
    else if (TERMINAL.has(status)) this.store.runs.end(taskId);
  }

  async listTasks(cursor?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    if (cursor !== undefined && !/^\d+$/.test(cursor)) throw new Error(`Invalid cursor: ${cursor}`);
    const { keys } = this.store;
    const page = await this.store.call((redis) =>
      redis.taskList(
        keys.owner(this.identity),
        keys.prefix,
        cursor ?? '0',
        PAGE_SIZE,
        new Date().toISOString(),
        LAPSED.statusMessage,
        LAPSED.result,
        this.store.leaseMs,
      ),
    );
    const tasks = page.slice(0, PAGE_SIZE).map(([taskId, fields]) => taskOf(taskId, fields));
    const last = page.length > PAGE_SIZE ? page[PAGE_SIZE - 1] : undefined;
    return last ? { tasks, nextCursor: last[1][6]! } : { tasks };
  }

  signalOf(taskId: string): AbortSignal | undefined {
    return this.store.runs.signalOf(taskId);
  }

  describe(taskId: string, statusMessage: string): void {
    // Sent on the same connection as what follows, so Redis applies it first.
    this.update(taskId, '', statusMessage).catch(() => {});
  }

  /** The tasks stay the identity's, reachable from its other sessions and replicas; their runs go on. */
  close(): void {}

  runningCount(): number {
    return this.store.runs.countOf(this);
  }

  startedHere(taskId: string): boolean {
    return this.store.runs.ownerOf(taskId) === this;
  }

  private async read(taskId: string, withResult: boolean): Promise<(string | null)[] | null> {
    const { keys } = this.store;
    return this.store.call((redis) =>
      redis.taskGet(
        keys.task(taskId),
        keys.prefix,
        this.identity,
        new Date().toISOString(),
        LAPSED.statusMessage,
        LAPSED.result,
        withResult ? '1' : '0',
        this.store.leaseMs,
      ),
    );
  }

  private async update(taskId: string, status: Task['status'] | '', statusMessage: string): Promise<void> {
    const { keys } = this.store;
    const answer = await this.store.call((redis) =>
      redis.taskUpdate(
        keys.task(taskId),
        this.identity,
        status,
        statusMessage,
        new Date().toISOString(),
        CANCELLED_MESSAGE,
        JSON.stringify(cancelledResult),
        keys.cancelChannel,
        taskId,
        this.store.runnerOf(taskId),
      ),
    );
    this.check(taskId, answer);
  }

  private check(taskId: string, answer: string): void {
    if (answer === 'missing') throw taskNotFound(taskId);
    if (answer.startsWith('terminal:')) throw new Error(`Task ${taskId} is already ${answer.slice('terminal:'.length)}`);
  }

  private droppedReason(taskId: string, dropped: string): string {
    const { perIdentity, all } = this.store.budgets;
    const [why, bytes] = dropped.split(':');
    if (why === 'too-large-owner') return tooLargeMessage(taskId, Number(bytes), perIdentity);
    if (why === 'too-large-all') return tooLargeMessage(taskId, Number(bytes), all);
    return droppedMessage(taskId, why === 'owner' ? perIdentity : all);
  }
}
