import type { CreateTaskResult } from '@modelcontextprotocol/sdk/experimental/tasks';
import type { RequestTaskStore } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../log.js';
import { noObserver, type BridgeObserver } from '../kernel/observer.js';
import type { CallerTasks } from './task-store.js';
import { errorResult } from '../kernel/results.js';

/** Progress lines become task status updates at most this often: each update also notifies the client. */
export const PROGRESS_INTERVAL_MS = 250;

const STATUS_LENGTH = 300;

/** What a background run gets: when to stop, and where to report how it is going. */
export interface TaskRunContext {
  taskId: string;
  signal: AbortSignal;
  onProgress(message: string): void;
  /** The run waits for a person (`input_required`, with the question as status) or, with undefined, works again. */
  waiting(question: string | undefined): Promise<void>;
}

export interface StartTaskOptions {
  /** The session's own task store: limits and each task's abort signal. */
  session: CallerTasks;
  /** The same store as the SDK hands this request (`extra.taskStore`): its changes also notify the client. */
  store: Pick<RequestTaskStore, 'createTask' | 'updateTaskStatus' | 'storeTaskResult'>;
  /** The TTL the client asked for; the session store bounds it. */
  requestedTtl?: number | null;
  /** Names the work in status messages, e.g. `agent "echo"`. */
  label: string;
  logger: Logger;
  /** Hears each status the task reaches (the tasks metric). Default: nobody. */
  observer?: Pick<BridgeObserver, 'taskStatus'>;
}

/**
 * Forwards the latest message at most once per interval, and the last one of a burst after it,
 * so a chatty run cannot flood the client with status notifications.
 */
export function throttleProgress(send: (message: string) => void, intervalMs: number): { report(message: string): void; stop(): void } {
  let lastSent = -Infinity;
  let pending: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    lastSent = Date.now();
    const message = pending!;
    pending = undefined;
    send(message);
  };
  return {
    report(message) {
      pending = message;
      if (timer) return;
      const wait = lastSent + intervalMs - Date.now();
      if (wait <= 0) flush();
      else timer = setTimeout(flush, wait).unref();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
  };
}

const firstLine = (result: CallToolResult): string => {
  const text =
    result.content
      .map((c) => (c.type === 'text' ? c.text : ''))
      .join(' ')
      .split('\n')[0] ?? '';
  return text.length > STATUS_LENGTH ? `${text.slice(0, STATUS_LENGTH)}…` : text;
};

/**
 * Creates a task, starts `run` in the background and returns the task at once. The run's result is
 * stored as the task's result, `failed` when it is an error result; a cancelled or expired task
 * stops the run through its signal and keeps nothing from it.
 */
export async function startTask(run: (context: TaskRunContext) => Promise<CallToolResult>, options: StartTaskOptions): Promise<CreateTaskResult> {
  const { session, store, label, logger, observer = noObserver } = options;
  const created = await store.createTask({ ttl: options.requestedTtl });
  observer.taskStatus('working');
  const { taskId } = created;
  const signal = session.signalOf(taskId)!;
  const running = `running ${label}`;
  session.describe(taskId, running);
  const progress = throttleProgress((message) => {
    store.updateTaskStatus(taskId, 'working', message).catch(() => {});
  }, PROGRESS_INTERVAL_MS);

  const finish = async () => {
    let result: CallToolResult;
    try {
      const waiting = async (question: string | undefined) => {
        // A progress line still pending must not overwrite input_required after the fact.
        progress.stop();
        if (question !== undefined) observer.taskStatus('input_required');
        if (!signal.aborted)
          await store.updateTaskStatus(taskId, question === undefined ? 'working' : 'input_required', question ?? `${label} resumed`).catch(() => {});
      };
      result = await run({ taskId, signal, onProgress: (message) => progress.report(message), waiting });
    } catch (error) {
      if (signal.aborted) return observer.taskStatus('cancelled');
      result = errorResult(`The ${label} stopped unexpectedly: ${error instanceof Error ? error.message : String(error)}`, 'tool_error');
    } finally {
      progress.stop();
    }
    if (signal.aborted) return observer.taskStatus('cancelled');
    observer.taskStatus(result.isError ? 'failed' : 'completed');
    session.describe(taskId, result.isError ? `${label} failed: ${firstLine(result)}` : `${label} answered`);
    // Throws only when the task was cancelled or dropped meanwhile, or the client is gone: nothing left to tell.
    await store.storeTaskResult(taskId, result.isError ? 'failed' : 'completed', result).catch((error: unknown) => {
      logger.debug(`task ${taskId} finished but its result was not delivered: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
  void finish();
  logger.debug(`started ${label} as task ${taskId}`);
  // The task as just described, without reading it back: with Redis that read would be one more round trip.
  return { task: { ...created, statusMessage: running } };
}
