import type { MastraClient } from '@mastra/client-js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { callDeadline, timeoutText } from '../kernel/call-timeout.js';
import { errorResult, failureResult, textResult } from '../kernel/results.js';
import { describeFailure, isAgentNotFound, upstreamReason } from '../kernel/errors.js';
import type { ProgressReporter } from '../kernel/progress.js';
import type { WorkflowTool } from '../catalogue/workflows.js';
import type { RunOutcome } from '../kernel/run-outcome.js';
import type { CallTrace } from '../kernel/call-trace.js';
import type { WorkflowHandle } from './resume-form.js';
import type { CallerRuns } from './run-ownership.js';
import { cancelRun, createRun, newRunId, recordsOf, resumeStream, startStream } from './workflow-api.js';
import { outcomeOf, WorkflowRecorder } from './workflow-outcome.js';

export interface WorkflowRunOptions {
  /** The caller's client. */
  client: MastraClient;
  /** The Mastra URL, named in results. */
  baseUrl: string;
  /** Aborted when the MCP caller cancels: the run is cancelled upstream, and the call rejects. */
  signal?: AbortSignal;
  /** When the caller asked for progress: each step's start and end. */
  progress?: ProgressReporter;
  /** Longest a run may take before it is cancelled upstream; 0 means no limit (`--call-timeout`). */
  callTimeoutMs: number;
  /** Told when Mastra answers 404 for the workflow, so the tool list can be refreshed at once. */
  onGone?: (workflowId: string) => void;
  /** Whose runs these are: a run started with it is recorded as the caller's, for resume_<id>. */
  runs?: CallerRuns;
  /** The call's trace: the run starts (and each resume continues) inside it. */
  trace?: CallTrace;
}

/** A cancel must not hang the call it ends: Mastra gets this long to confirm it. */
const CANCEL_WAIT_MS = 5_000;

/** Best effort: a run that cannot be cancelled (Mastra gone, the run already over) is no reason to fail the call twice. */
async function cancelQuietly(client: MastraClient, workflowId: string, runId: string | undefined): Promise<void> {
  if (runId === undefined) return;
  await Promise.race([cancelRun(client, workflowId, runId).catch(() => {}), new Promise((resolve) => setTimeout(resolve, CANCEL_WAIT_MS).unref())]);
}

function timeoutResult(workflowId: string, runId: string | undefined, limitMs: number, baseUrl: string): CallToolResult {
  const run = runId ? ` (runId "${runId}")` : '';
  return errorResult(
    timeoutText(`The workflow "${workflowId}"`, limitMs, `its run${run} on the Mastra server at ${baseUrl} was cancelled`, '; or call the tool as a task'),
    'timeout',
  );
}

/**
 * Follows one stream of a run to its end (finished, failed or suspended), bounded by the call
 * timeout. A run the caller stops, that times out, or whose stream breaks off is cancelled
 * upstream: no run is left going that nobody watches.
 */
async function follow(
  workflow: WorkflowTool,
  runIdOf: () => string | undefined,
  open: (signal: AbortSignal) => Promise<AsyncIterable<Uint8Array> | null>,
  options: WorkflowRunOptions,
): Promise<RunOutcome> {
  const { client, baseUrl, callTimeoutMs, signal: callerSignal } = options;
  const { workflowId } = workflow;
  const deadline = callDeadline(callTimeoutMs, callerSignal);
  const { signal } = deadline;
  const recorder = new WorkflowRecorder(workflowId, options.progress);
  let streaming = false;
  try {
    const body = await open(signal);
    streaming = true;
    if (body) for await (const chunk of recordsOf(body)) recorder.take(chunk);
    signal.throwIfAborted();
  } catch (error) {
    if (signal.aborted) {
      await cancelQuietly(client, workflowId, runIdOf());
      if (deadline.timedOut()) return { done: timeoutResult(workflowId, runIdOf(), callTimeoutMs, baseUrl) };
      throw error;
    }
    if (!streaming) {
      // Mastra's words for a workflow it does not have; a run it does not have is no reason to re-list.
      if (isAgentNotFound(error) && /^workflow not found/i.test(upstreamReason(error).replace(/^HTTP 404: /, ''))) options.onGone?.(workflowId);
      return { done: failureResult(describeFailure(error, { agentId: workflowId, baseUrl, subject: `workflow "${workflowId}"` })) };
    }
    // A stream that breaks off is told below as a cut-off run.
  } finally {
    deadline.clear();
  }
  if (recorder.status === undefined) await cancelQuietly(client, workflowId, runIdOf());
  return outcomeOf(workflow, runIdOf() ?? 'unknown', recorder, baseUrl);
}

/** Creates a run and starts it with the (checked) input. Never retried. */
export async function startWorkflow(workflow: WorkflowTool, inputData: unknown, options: WorkflowRunOptions): Promise<RunOutcome> {
  const runId = newRunId();
  // Only a workflow that can suspend has a resume tool to guard. Recorded before the run exists, so
  // that no run is left suspended that its starter could not resume.
  if (workflow.resumeToolName && options.runs) {
    try {
      await options.runs.owners.claim(options.runs.identity, workflow.workflowId, runId);
    } catch (error) {
      return { done: errorResult(`The workflow "${workflow.workflowId}" was not started: ${(error as Error).message}`, 'tool_error') };
    }
  }
  let created = false;
  return follow(
    workflow,
    () => (created ? runId : undefined),
    async (signal) => {
      await createRun(options.client, workflow.workflowId, runId);
      created = true;
      signal.throwIfAborted();
      return startStream(options.client, workflow.workflowId, runId, inputData, signal, options.trace?.runOptions());
    },
    options,
  );
}

/** Resumes a suspended step with the person's answer; the run may finish, fail, or suspend again. */
export function resumeWorkflow(
  workflow: WorkflowTool,
  handle: Pick<WorkflowHandle, 'runId' | 'step'>,
  answer: unknown,
  options: WorkflowRunOptions,
): Promise<RunOutcome> {
  return follow(
    workflow,
    () => handle.runId,
    (signal) => resumeStream(options.client, workflow.workflowId, handle.runId, handle.step, answer, signal, options.trace?.runOptions()),
    options,
  );
}

/** Cancels a run upstream, and says so; `why` starts the text ("The person declined to answer."). */
export async function cancelWorkflow(
  workflow: WorkflowTool,
  runId: string,
  why: string,
  options: WorkflowRunOptions,
  isError: boolean,
): Promise<CallToolResult> {
  try {
    await cancelRun(options.client, workflow.workflowId, runId);
  } catch (error) {
    const failure = describeFailure(error, { agentId: workflow.workflowId, baseUrl: options.baseUrl, subject: `workflow "${workflow.workflowId}"` });
    return errorResult(`${why} Cancelling the run (runId "${runId}") failed: ${failure.text}`, failure.kind);
  }
  const text = `${why} The run of the workflow "${workflow.workflowId}" (runId "${runId}") was cancelled on the Mastra server at ${options.baseUrl}.`;
  return isError ? errorResult(text, 'cancelled_upstream') : textResult(text);
}
