import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { BridgeObserver, CallOutcome, Era, FinishedCall } from '../kernel/observer.js';
import { failureKindOf } from '../kernel/results.js';
import type { ToolCall } from './tool-call.js';

/** What both fronts know of a tools/call before it runs. */
export interface CallFacts {
  tool: string;
  era: Era;
  /** `Caller.identity`: shortened here, before it reaches any observer. */
  identity: string;
  /** The W3C trace id of the caller's trace context, when one came with the request; the log line shows it. */
  traceId?: string;
}

/** The identity as logs show it: a hash prefix is enough to tell callers apart, and names no token. */
export const shortIdentity = (identity: string): string => (/^[\da-f]{64}$/.test(identity) ? identity.slice(0, 12) : identity);

function outcomeOf(result: unknown, aborted: boolean): { outcome: CallOutcome; errorType?: string } {
  if (aborted) return { outcome: 'cancelled', errorType: 'cancelled' };
  if ((result as { resultType?: unknown }).resultType === 'input_required') return { outcome: 'input_required' };
  if (!(result as CallToolResult).isError) return { outcome: 'ok' };
  // The kind its builder gave it (kernel/results.ts): a word from a fixed set, so it can be a metric label.
  const kind = failureKindOf(result as CallToolResult);
  return kind === 'timeout' ? { outcome: 'timed_out', errorType: kind } : { outcome: 'is_error', errorType: kind };
}

/** A thrown error's JSON-RPC code, as the label `error_type` carries it. */
const codeOf = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? String(code) : 'internal';
};

/**
 * Runs one call (or one task's run, or one 2026 round) and tells the observer it started and how it ended:
 * the one place the per-call log line, the metrics and the traces hear about calls. `signal` aborted at the
 * end means the caller cancelled (or the task was cancelled or expired).
 */
export async function observeCall<T>(observer: BridgeObserver, facts: CallFacts & { task: boolean; signal?: AbortSignal }, run: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const { signal, ...known } = facts;
  const finish = (how: { outcome: CallOutcome; errorType?: string }) => {
    const call: FinishedCall = { ...known, identity: shortIdentity(facts.identity), ...how, durationMs: performance.now() - startedAt };
    observer.callFinished(call);
  };
  observer.callStarted();
  try {
    const result = await run();
    finish(outcomeOf(result, signal?.aborted === true));
    return result;
  } catch (error) {
    finish(signal?.aborted ? { outcome: 'cancelled', errorType: 'cancelled' } : { outcome: 'jsonrpc_error', errorType: codeOf(error) });
    throw error;
  }
}

/** The tool of a call whose name no tool has: any string a client sends must not become a label. */
export const UNKNOWN_TOOL = '(unknown)';

/** Resolves the call; a name nobody has (a JSON-RPC error) is a finished call too. */
export function observedPrepare(observer: BridgeObserver, facts: CallFacts, prepare: () => ToolCall): ToolCall {
  try {
    return prepare();
  } catch (error) {
    observer.callStarted();
    observer.callFinished({
      ...facts,
      tool: UNKNOWN_TOOL,
      identity: shortIdentity(facts.identity),
      task: false,
      outcome: 'jsonrpc_error',
      errorType: codeOf(error),
      durationMs: 0,
    });
    throw error;
  }
}

/** The same call, whose every run (as a task) is observed as one finished task. */
export const observedTask = (observer: BridgeObserver, facts: CallFacts, call: ToolCall): ToolCall => ({
  ...call,
  run: (context) => observeCall(observer, { ...facts, task: true, signal: context.task?.signal }, () => call.run(context)),
});
