import type { CallTrace, CallTraceStart, Tracing } from '../kernel/call-trace.js';
import type { ProgressReporter } from '../kernel/progress.js';
import type { Resumer, Resumers, RunOutcome } from '../kernel/run-outcome.js';
import type { TaskRunContext } from '../tasks/task-runner.js';

/**
 * Where a tools/call meets its trace: the fronts start it (`tracedCall`), drivenCall (tool-call.ts) hands
 * it to every run and marks the run's progress, questions and task status on it, and whoever drives the
 * call to its answer ends it (`traced`).
 */

/** The span's `error.type`: `tool_error` for an isError result (MCP conventions), a JSON-RPC code, or `cancelled`. */
export function errorTypeOf(outcome: { result: { isError?: boolean } } | { error: unknown }): string | undefined {
  if ('result' in outcome) return outcome.result.isError ? 'tool_error' : undefined;
  const { code, name } = (outcome.error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'number') return String(code);
  return name === 'AbortError' || name === 'TimeoutError' ? 'cancelled' : typeof name === 'string' && name ? name : 'Error';
}

/** Runs `run` to its answer and ends the call's span with how it went. */
export async function traced<T extends { isError?: boolean }>(trace: CallTrace | undefined, run: () => Promise<T>): Promise<T> {
  if (!trace) return run();
  try {
    const result = await run();
    trace.end(errorTypeOf({ result }));
    return result;
  } catch (error) {
    trace.end(errorTypeOf({ error }));
    throw error;
  }
}

/** Starts the call's trace, then prepares the call with it; a call refused before it runs (unknown tool) ends its span with the error. */
export async function tracedCall<T>(tracing: Tracing | undefined, start: CallTraceStart, prepare: (trace: CallTrace | undefined) => T): Promise<T> {
  const trace = await tracing?.startCall(start);
  try {
    return prepare(trace);
  } catch (error) {
    trace?.end(errorTypeOf({ error }));
    throw error;
  }
}

/** Progress as the trace hears it too: an event per news (`now`), none for the counts that follow (`soon`). */
export const progressTraced = (progress: ProgressReporter | undefined, trace: CallTrace | undefined): ProgressReporter | undefined =>
  progress && trace
    ? {
        now: (message) => {
          trace.event('mcp.progress');
          progress.now(message);
        },
        soon: (message) => progress.soon(message),
        stop: () => progress.stop(),
      }
    : progress;

/** A paused run's question, marked on the trace (its kind only: the question's words are the run's). */
export function questionTraced(outcome: RunOutcome, trace: CallTrace | undefined): RunOutcome {
  if (trace && 'paused' in outcome) trace.event('mcp.input_required', { 'mcp.input_required.kind': outcome.paused.handle.kind });
  return outcome;
}

/** The resumers of a traced call: each run they continue that pauses again is marked too. */
export function resumersTraced(resumers: Resumers, trace: CallTrace | undefined): Resumers {
  if (!trace) return resumers;
  const traced = (resumer: Resumer): Resumer => ({
    ...resumer,
    resume: async (handle, answer, call) => questionTraced(await resumer.resume(handle, answer, call), trace),
    ...(resumer.unanswered ? { unanswered: async (handle, call) => questionTraced(await resumer.unanswered!(handle, call), trace) } : {}),
  });
  return Object.fromEntries(Object.entries(resumers).map(([kind, resumer]) => [kind, resumer && traced(resumer)]));
}

/** A task's status, marked on the trace as its run starts (`working`) and ends (`completed`, `failed`); its questions are `mcp.input_required` events. */
export function taskStatusTraced(status: 'working' | 'completed' | 'failed', task: TaskRunContext | undefined, trace: CallTrace | undefined): void {
  if (task && trace) trace.event('mcp.task.status', { 'mcp.task.status': status });
}
