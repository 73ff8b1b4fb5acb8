import { DURATION_FORMS, formatDuration } from './duration.js';

/** A run's bound: aborted by the caller or, after `callTimeoutMs` (0: never), by the call timeout. */
export interface CallDeadline {
  signal: AbortSignal;
  /** Whether the call timeout, not the caller, stopped the run. */
  timedOut(): boolean;
  /** Ends the timer; the run is over. */
  clear(): void;
}

/** The one call-timeout recipe every kind of run uses. */
export function callDeadline(callTimeoutMs: number, callerSignal?: AbortSignal): CallDeadline {
  const timeout = new AbortController();
  const timer = callTimeoutMs > 0 ? setTimeout(() => timeout.abort(new DOMException('call timeout', 'TimeoutError')), callTimeoutMs) : undefined;
  return {
    signal: callerSignal ? AbortSignal.any([callerSignal, timeout.signal]) : timeout.signal,
    timedOut: () => timeout.signal.aborted && !callerSignal?.aborted,
    clear: () => clearTimeout(timer),
  };
}

/** What a run stopped by the call timeout says: `what` did not finish, and `stopped` says what became of it upstream. */
export function timeoutText(what: string, limitMs: number, stopped: string, alternative = ''): string {
  return (
    `${what} did not finish within the call timeout of ${formatDuration(limitMs)}, so ${stopped}. ` +
    `To allow longer runs, start the bridge with a larger --call-timeout or MCP_CALL_TIMEOUT (a duration such as ${DURATION_FORMS}), or 0 for no limit${alternative}.`
  );
}
