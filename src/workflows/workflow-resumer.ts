import type { Catalogue } from '../catalogue/catalogue.js';
import type { WorkflowTool } from '../catalogue/workflows.js';
import { explainInvalid } from '../kernel/invalid-arguments.js';
import type { Answer, CallContext, ResumeHandle, Resumer, RunOutcome } from '../kernel/run-outcome.js';
import type { WorkflowHandle } from './resume-form.js';
import { checkerOf } from './schema-checker.js';
import { cancelWorkflow, resumeWorkflow, type WorkflowRunOptions } from './workflow-run.js';
import { errorResult, type FailureKind } from '../kernel/results.js';

const errorOutcome = (text: string, kind: FailureKind): RunOutcome => ({ done: errorResult(text, kind) });

/** An answer that does not fit the step's resumeSchema: the fields that are wrong, or undefined when it fits (or cannot be checked here). */
export function answerProblems(workflow: WorkflowTool, step: string, answer: unknown): string | undefined {
  const check = checkerOf(workflow.resumable.find((s) => s.stepId === step)?.resumeSchema);
  const parsed = check?.(answer);
  return parsed && !parsed.success ? explainInvalid(parsed.error) : undefined;
}

/**
 * Continues a suspended workflow run with a person's answer (kind 'workflow'): accept resumes the
 * step; decline and cancel cancel the run upstream. An answer that does not fit the step's
 * resumeSchema is a misfit the person is asked again about (calls/person-loop.ts), before any resume. Nobody to
 * ask (no `unanswered`): the run stays suspended in Mastra, and the paused run's `unanswerable`
 * result says how to resume it with resume_<id>.
 */
export function workflowResumer(catalogue: Catalogue, options: Pick<WorkflowRunOptions, 'onGone'> = {}): Resumer {
  const workflowOf = (handle: WorkflowHandle) => catalogue.workflows.find((w) => w.workflowId === handle.workflowId);
  return {
    answerProblem(raw, content) {
      const handle = raw as WorkflowHandle;
      const workflow = workflowOf(handle);
      return workflow && answerProblems(workflow, handle.step, content);
    },
    async resume(raw: ResumeHandle, answer: Answer, call: CallContext): Promise<RunOutcome> {
      const handle = raw as WorkflowHandle;
      const workflow = workflowOf(handle);
      if (!workflow)
        return errorOutcome(
          `The workflow "${handle.workflowId}" is no longer offered by this bridge; its run (runId "${handle.runId}") stays as it is on the Mastra server at ${call.baseUrl}.`,
          'gone',
        );
      // The caller's own client, the call's signal, progress and bounds. A handle reaches here only from the call
      // that paused its run: the same session's elicitation, a task of the same identity, or a request state sealed
      // for that identity. resume_<id>, which may name any run, checks who started it itself (workflow-call.ts).
      const run: WorkflowRunOptions = { ...options, ...call };
      if (answer.action !== 'accept') {
        const why = answer.action === 'decline' ? 'The person declined to answer.' : 'The person cancelled the question.';
        return { done: await cancelWorkflow(workflow, handle.runId, why, run, true) };
      }
      // Checked before it came here; a catalogue re-listed meanwhile may hold a newer resumeSchema.
      const problems = answerProblems(workflow, handle.step, answer.content);
      if (problems !== undefined)
        return errorOutcome(
          `The answer does not fit the step "${handle.step}" of the workflow "${workflow.workflowId}": ${problems}. The run (runId "${handle.runId}") stays suspended; answer with ${workflow.resumeToolName ?? 'its resume tool'}.`,
          'invalid_arguments',
        );
      return resumeWorkflow(workflow, handle, answer.content, run);
    },
  };
}
