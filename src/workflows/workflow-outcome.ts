import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { capDetail, streamEndedEarly } from '../kernel/errors.js';
import type { ProgressReporter } from '../kernel/progress.js';
import type { WorkflowTool } from '../catalogue/workflows.js';
import type { RunOutcome } from '../kernel/run-outcome.js';
import { formOf, type WorkflowHandle } from './resume-form.js';
import type { WorkflowChunk } from './workflow-api.js';
import { errorResult, textResult } from '../kernel/results.js';

const messageOf = (error: unknown): string =>
  typeof error === 'string'
    ? error
    : typeof (error as { message?: unknown })?.message === 'string'
      ? (error as { message: string }).message
      : 'no message given';

/** Follows one run's stream: what each step did, how the run ended, and what to tell the caller meanwhile. */
export class WorkflowRecorder {
  status: string | undefined;
  result: unknown;
  failed: { stepId: string; error: string } | undefined;
  suspended: { stepId: string; payload: unknown } | undefined;
  /** Steps told started and not yet told finished. */
  private readonly running = new Set<string>();

  constructor(
    private readonly workflowId: string,
    private readonly progress?: ProgressReporter,
  ) {}

  take({ type, payload = {} }: WorkflowChunk): void {
    const stepId = typeof payload.id === 'string' ? payload.id : String(payload.stepName ?? 'unknown');
    switch (type) {
      case 'workflow-start':
        return this.progress?.now(`workflow "${this.workflowId}" started`);
      case 'workflow-step-start':
        this.running.add(stepId);
        return this.progress?.now(`step ${stepId} started`);
      case 'workflow-step-result':
        this.running.delete(stepId);
        if (payload.status === 'failed') this.failed ??= { stepId, error: capDetail(messageOf(payload.error)) };
        return this.progress?.now(`step ${stepId} ${payload.status === 'failed' ? 'failed' : 'finished'}`);
      case 'workflow-step-suspended':
        this.running.delete(stepId);
        this.suspended ??= { stepId, payload: payload.suspendPayload };
        return this.progress?.now(`step ${stepId} suspended: it waits for an answer`);
      case 'workflow-finish':
        this.status = typeof payload.workflowStatus === 'string' ? payload.workflowStatus : 'unknown';
        this.result = payload.finalWorkflowResult;
        // Mastra's run stream hears step events through its pubsub without waiting for them and closes when the run
        // ends, so a last step that ends at once can lose its result event (about once in 30 runs). A run that
        // succeeded finished every step it started: the caller is told so rather than left with a step still going.
        if (this.status === 'success') for (const step of this.running) this.progress?.now(`step ${step} finished`);
        this.running.clear();
        return;
    }
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => !!value && typeof value === 'object' && !Array.isArray(value);

/** The output as text (what most clients show a model) and as structured content (an object, as MCP wants it). */
function outputResult(workflow: WorkflowTool, result: unknown): CallToolResult {
  const structured = workflow.outputSchema || isPlainObject(result) ? (result as Record<string, unknown>) : { result: result ?? null };
  return textResult(JSON.stringify(result ?? null), structured);
}

/** "approved (boolean, required): Approve the expense?; note (string)" */
function describeAnswer(schema: Record<string, unknown> | undefined): string {
  const properties = isPlainObject(schema?.properties) ? (schema.properties as Record<string, Record<string, unknown>>) : undefined;
  if (!properties) return schema ? `an answer of this JSON Schema: ${capDetail(JSON.stringify(schema))}` : 'an answer (its step declares no resumeSchema)';
  const required = new Set(Array.isArray(schema!.required) ? (schema!.required as string[]) : []);
  const fields = Object.entries(properties).map(([key, field]) => {
    const type = typeof field.type === 'string' ? field.type : 'value';
    const about = typeof field.description === 'string' ? `: ${field.description}` : '';
    return `${key} (${type}${required.has(key) ? ', required' : ''})${about}`;
  });
  return fields.length ? `an answer with ${fields.join('; ')}` : 'an empty answer';
}

/** The result when nobody can be asked: what the run waits for, that it stays suspended, and how to go on. */
function suspendedResult(workflow: WorkflowTool, handle: WorkflowHandle, baseUrl: string, payload: unknown, form: boolean): CallToolResult {
  const schema = workflow.resumable.find((step) => step.stepId === handle.step)?.resumeSchema;
  const says =
    payload !== undefined && !(isPlainObject(payload) && Object.keys(payload).length === 0) ? ` The step says: ${capDetail(JSON.stringify(payload))}.` : '';
  const notForm = form
    ? ''
    : ' Its answer is not a flat form of strings, numbers, booleans and enums, so it cannot be asked through an MCP client: give it as JSON.';
  const resume = JSON.stringify({ runId: handle.runId, step: handle.step, answer: {} });
  const cancel = JSON.stringify({ runId: handle.runId, cancel: true });
  const tool = workflow.resumeToolName ?? 'its resume tool';
  return errorResult(
    `The workflow "${workflow.workflowId}" is suspended at step "${handle.step}", waiting for ${describeAnswer(schema)}.${says}${notForm} ` +
      `The run (runId "${handle.runId}") stays suspended on the Mastra server at ${baseUrl} until it is resumed or cancelled. ` +
      `To resume it, call ${tool} with ${resume}, the answer filled in; to cancel it, call ${tool} with ${cancel}.`,
    'tool_error',
  );
}

/** How a finished stream ends the call: the output, a failure naming the step, or a pause for a person. */
export function outcomeOf(workflow: WorkflowTool, runId: string, recorder: WorkflowRecorder, baseUrl: string): RunOutcome {
  const run = `The workflow "${workflow.workflowId}" (runId "${runId}")`;
  switch (recorder.status) {
    case 'success':
    case 'bailed':
      return { done: outputResult(workflow, recorder.result) };
    case 'failed': {
      const where = recorder.failed ? `at step "${recorder.failed.stepId}": ${recorder.failed.error}` : 'before any step failed';
      return {
        done: errorResult(
          `${run} failed on the Mastra server at ${baseUrl} ${where}. The run ended there; fix the cause, then run the workflow again.`,
          'upstream_error',
        ),
      };
    }
    case 'suspended': {
      const step = recorder.suspended?.stepId ?? workflow.resumable[0]?.stepId ?? 'unknown';
      const handle: WorkflowHandle = { kind: 'workflow', workflowId: workflow.workflowId, runId, step };
      const schema = workflow.resumable.find((s) => s.stepId === step)?.resumeSchema;
      const form = formOf(schema);
      const unanswerable = suspendedResult(workflow, handle, baseUrl, recorder.suspended?.payload, form !== undefined);
      if (!form) return { done: unanswerable };
      const says = recorder.suspended?.payload === undefined ? '' : ` It says: ${capDetail(JSON.stringify(recorder.suspended.payload))}`;
      return {
        paused: {
          question: { message: `The workflow "${workflow.title}" waits for your answer at step "${step}".${says}`, schema: form },
          handle,
          unanswerable,
        },
      };
    }
    case 'canceled':
      return { done: errorResult(`${run} was cancelled on the Mastra server at ${baseUrl} before it finished.`, 'cancelled_upstream') };
    default:
      return {
        done:
          recorder.status === undefined
            ? errorResult(
                streamEndedEarly(baseUrl, `the workflow "${workflow.workflowId}" (runId "${runId}")`, '; the bridge cancelled the run'),
                'stream_ended',
              )
            : errorResult(
                `${run} ended with the status "${recorder.status}" on the Mastra server at ${baseUrl}, without an output; see the run there.`,
                'upstream_error',
              ),
      };
  }
}
