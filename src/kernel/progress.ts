import type { ProgressToken, ServerNotification } from '@modelcontextprotocol/sdk/types.js';

/** How often progress may be sent. */
export interface ProgressOptions {
  /** Minimum gap between two routine updates (text being written); tool events go out at once. */
  coalesceMs: number;
  /** A "still working" notification after this much silence, so clients that reset their timeout on progress keep waiting; 0 sends none. */
  heartbeatMs: number;
}

export interface ProgressReporter {
  /** An event worth telling at once: the first chunk, a step, a tool call or result. */
  now(message: string): void;
  /** A routine update; bursts collapse into one notification per `coalesceMs`, the latest message winning. */
  soon(message: string): void;
  /** Stops the timers; nothing is sent afterwards. */
  stop(): void;
}

type Send = (notification: ServerNotification) => Promise<void>;

/**
 * Progress for one call. `progress` is a counter of notifications sent, so it strictly increases
 * whatever the order of events; there is no `total` because an agent run has no known length.
 */
export function createProgressReporter(token: ProgressToken, send: Send, options: ProgressOptions): ProgressReporter {
  const { coalesceMs, heartbeatMs } = options;
  const startedAt = Date.now();
  let progress = 0;
  let lastSentAt = 0;
  let pending: string | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  const emit = (message: string) => {
    if (stopped) return;
    clearTimeout(flushTimer);
    flushTimer = undefined;
    pending = undefined;
    progress += 1;
    lastSentAt = Date.now();
    // A failed send means the client is gone; the call's abort signal takes care of the rest.
    send({ method: 'notifications/progress', params: { progressToken: token, progress, message } }).catch(() => {});
    armHeartbeat();
  };

  const armHeartbeat = () => {
    clearTimeout(heartbeatTimer);
    if (heartbeatMs > 0) heartbeatTimer = setTimeout(() => emit(`still working (${Math.round((Date.now() - startedAt) / 1000)} s)`), heartbeatMs);
  };

  armHeartbeat();
  return {
    now: emit,
    soon(message) {
      if (stopped) return;
      const wait = lastSentAt + coalesceMs - Date.now();
      if (wait <= 0) return emit(message);
      pending = message;
      flushTimer ??= setTimeout(() => pending !== undefined && emit(pending), wait);
    },
    stop() {
      stopped = true;
      clearTimeout(flushTimer);
      clearTimeout(heartbeatTimer);
    },
  };
}

/** A reporter when the request carries `_meta.progressToken`, else undefined (the caller wants no progress). */
export function progressFor(
  extra: { _meta?: { progressToken?: ProgressToken }; sendNotification: Send },
  options: ProgressOptions,
): ProgressReporter | undefined {
  const token = extra._meta?.progressToken;
  return token === undefined ? undefined : createProgressReporter(token, extra.sendNotification, options);
}
