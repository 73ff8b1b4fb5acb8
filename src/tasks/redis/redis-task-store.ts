import { randomUUID } from 'node:crypto';
import { RequestError, JsonRpcCode } from '../../kernel/errors.js';
import type { CataloguePeers } from '../../catalogue/refresh.js';
import type { Logger } from '../../log.js';
import type { CallerTasks, SharedTaskStore, TaskLimits, TaskStoreState } from '../task-store.js';
import { ResultBudget } from '../task-results.js';
import { LocalRuns } from './local-runs.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';
import { RedisCallerTasks } from './redis-tasks.js';
import type { RunOwners } from '../run-owners.js';
import { RedisRunOwners } from './redis-run-owners.js';
import { LEFT } from './runner-failures.js';
import type { TaskCommands } from './task-scripts.js';
import { keysOf, type RedisKeys, type RedisStoreView } from './redis-store-view.js';

export interface RedisTaskOptions {
  /** `redis://` or `rediss://`, credentials included; never logged. */
  redisUrl: string;
  /** Every key and channel starts with it, so several bridges can share one Redis. */
  redisPrefix: string;
  /** A running task its replica has not renewed for this long, while Redis hears the other replicas, fails (that replica, if alive, takes it back). */
  taskLeaseMs: number;
  logger: Logger;
}

export interface RedisTasks {
  /** For `TaskBoard`'s `shared` option. */
  shared: (limits: TaskLimits) => SharedTaskStore;
  /** Gone agents, told to and heard from the other replicas. */
  peers: CataloguePeers;
  /** The connection itself, for what else the replicas share through it (the rate limit). */
  connection: RedisConnection;
}

/** Opens the connection now (in the background), so the catalogue can hear its peers from the start. */
export function openRedisTasks(options: RedisTaskOptions): RedisTasks {
  const connection = connectRedis(options.redisUrl, options.logger);
  const prefix = options.redisPrefix;
  const replica = randomUUID();
  const goneChannel = `${prefix}agent-gone`;
  const listeners = new Set<(agentId: string) => void>();
  connection.listen(goneChannel, (message) => {
    const { from, agentId } = JSON.parse(message) as { from: string; agentId: string };
    if (from !== replica) for (const listener of listeners) listener(agentId);
  });
  const peers: CataloguePeers = {
    announceGone: (agentId) => void connection.commands.publish(goneChannel, JSON.stringify({ from: replica, agentId })).catch(() => {}),
    onGone: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  options.logger.info(`tasks are kept in Redis at ${connection.where} under the prefix "${prefix}"`);
  return { shared: (limits) => new RedisTaskStore(connection, { prefix, replica, leaseMs: options.taskLeaseMs }, limits), peers, connection };
}

/** Tasks of every identity in Redis, with this replica's runs and their lease. */
export class RedisTaskStore implements SharedTaskStore, RedisStoreView {
  readonly replica: string;
  readonly leaseMs: number;
  readonly runs: LocalRuns;
  readonly keys: RedisKeys;
  readonly budgets: { perIdentity: ResultBudget; all: ResultBudget };
  /** The runs of this replica that wait for an answer, by task id. */
  readonly answerListeners = new Map<string, (key: string, response: unknown) => void>();
  /** Who started each workflow run, for every replica. */
  readonly runOwners: RunOwners;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly connection: RedisConnection,
    options: { prefix: string; replica: string; leaseMs: number },
    readonly limits: TaskLimits,
  ) {
    this.replica = options.replica;
    this.leaseMs = options.leaseMs;
    this.keys = keysOf(options.prefix, limits, this.leaseMs);
    this.runOwners = new RedisRunOwners(connection, options.prefix, limits.runOwnerTtlMs);
    this.budgets = {
      perIdentity: new ResultBudget(limits.taskResultsMaxPerSession, '--task-results-max-per-session', 'per caller'),
      all: new ResultBudget(limits.taskResultsMax, '--task-results-max', 'for all callers together'),
    };
    this.runs = new LocalRuns();
    // Renewed whether or not this replica runs anything: Redis hearing every replica regularly is how
    // it tells one replica's silence from its own stall (lease-scripts.ts).
    this.heartbeat = setInterval(() => void this.renewLease(), this.leaseMs / 4);
    this.heartbeat.unref();
    // A cancel asked on any replica reaches the one running the task.
    connection.listen(this.keys.cancelChannel, (taskId) => this.runs.abort(taskId, 'The task was cancelled'));
    // So does the answer to a task's question (taken once, by a script, on the replica that got it).
    connection.listen(this.keys.answerChannel, (message) => {
      const taskId = message.slice(0, message.indexOf(' '));
      this.deliverAnswer(taskId, message.slice(taskId.length + 1));
    });
  }

  /** Failures are the store's trouble, said elsewhere; the next renewal tries again. */
  private async renewLease(): Promise<void> {
    const taskIds = this.runs.ids();
    const statuses = await this.connection.commands
      .leaseRenew(this.leaseMs, this.keys.prefix, this.replica, new Date().toISOString(), ...taskIds)
      .catch(() => undefined);
    if (!statuses) return;
    this.collectMissedAnswers(taskIds.filter((taskId, i) => statuses[i] === 'working' && this.answerListeners.has(taskId)));
    this.runs.renewed(taskIds, statuses);
  }

  /** This replica's id when it runs the task, else '': a task's writes take back a task its lease lapsed on only for its runner. */
  runnerOf(taskId: string): string {
    return this.runs.ownerOf(taskId) ? this.replica : '';
  }

  /** "<key> <response>" to the run waiting for it here, if any; the run ignores an answer to another round. */
  private deliverAnswer(taskId: string, answer: string): void {
    const deliver = this.answerListeners.get(taskId);
    const key = answer.slice(0, answer.indexOf(' '));
    deliver?.(key, JSON.parse(answer.slice(key.length + 1)));
  }

  /**
   * A waiting run whose task is `working` again was answered: when that message was published while
   * this replica was cut off from Redis, the answer kept with the task still reaches the run.
   */
  private collectMissedAnswers(taskIds: string[]): void {
    for (const taskId of taskIds)
      void this.connection.commands
        .hget(this.keys.task(taskId), 'answer')
        .then((answer) => answer && this.deliverAnswer(taskId, answer))
        .catch(() => {});
  }

  open(identity: string): CallerTasks {
    return new RedisCallerTasks(this, identity);
  }

  /** Runs one Redis operation; any failure becomes an error that names the task store and what still works. */
  async call<T>(operation: (redis: TaskCommands) => Promise<T>): Promise<T> {
    try {
      return await operation(this.connection.commands);
    } catch (error) {
      const reason = this.connection.failureOf(error);
      throw new RequestError(
        JsonRpcCode.InternalError,
        `The task store (Redis at ${this.connection.where}) failed: ${reason}. Plain tool calls (without a task) still work; try the task again in a few seconds.`,
      );
    }
  }

  state(): TaskStoreState {
    return { kind: 'redis', reachable: this.connection.reachable(), leaseMs: this.leaseMs };
  }

  /** Stops this replica's runs and fails their tasks for good, so every replica reports them failed at once. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const taskIds = this.runs.ids();
    this.runs.abortAll('The bridge is shutting down');
    await this.connection.commands.leaseLeave(this.keys.prefix, new Date().toISOString(), LEFT.statusMessage, LEFT.result, ...taskIds).catch(() => {});
    await this.connection.close();
  }
}
