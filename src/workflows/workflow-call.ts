import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { WorkflowTool } from '../catalogue/workflows.js';
import type { RunOutcome } from '../kernel/run-outcome.js';
import { resumeArguments, resumeInputSchema } from './resume-form.js';
import { checkerOf } from './schema-checker.js';
import { answerProblems } from './workflow-resumer.js';
import { accessTo, type CallerRuns } from './run-ownership.js';
import { runOf, type StoredRun } from './workflow-api.js';
import { cancelWorkflow, resumeWorkflow, startWorkflow, type WorkflowRunOptions } from './workflow-run.js';
import { describeFailure } from '../kernel/errors.js';
import { explainInvalid } from '../kernel/invalid-arguments.js';
import { errorResult, failureResult } from '../kernel/results.js';

const annotations = (title: string) => ({ title, readOnlyHint: false, openWorldHint: true });

/** A workflow's tool: its input (and output) schema as Mastra publishes them. */
export const workflowToolDefinition = (workflow: WorkflowTool): Tool => ({
  name: workflow.toolName,
  title: workflow.title,
  description: workflow.description,
  inputSchema: workflow.inputSchema,
  ...(workflow.outputSchema ? { outputSchema: workflow.outputSchema } : {}),
  annotations: annotations(workflow.title),
  execution: { taskSupport: 'optional' },
});

/** The tool that resumes (or cancels) a suspended run of a workflow that can suspend. */
export const resumeToolDefinition = (workflow: WorkflowTool): Tool => ({
  name: workflow.resumeToolName!,
  title: `Resume ${workflow.title}`,
  description:
    `Resume a suspended run of the Mastra workflow "${workflow.title}" with the answer its step waits for (or cancel the run), and get the workflow's output. ` +
    `The workflow's own tool, ${workflow.toolName}, names the run and what it waits for when a step suspends.`,
  inputSchema: resumeInputSchema(workflow),
  annotations: annotations(`Resume ${workflow.title}`),
  execution: { taskSupport: 'optional' },
});

const invalid = (name: string, problems: string): CallToolResult => errorResult(`Invalid arguments for ${name}: ${problems}.`, 'invalid_arguments');

function argumentProblems(workflow: WorkflowTool, args: unknown): string | undefined {
  const parsed = checkerOf(workflow.inputSchema)?.(args);
  return parsed && !parsed.success ? explainInvalid(parsed.error) : undefined;
}

export interface WorkflowCall {
  valid: boolean;
  /** The run's outcome: done, or paused for a person (calls/person-loop.ts ask and resume it through workflowResumer). */
  outcome(options: WorkflowRunOptions & { runs: CallerRuns }): Promise<RunOutcome>;
}

const done = (result: CallToolResult): RunOutcome => ({ done: result });

/** A call of a workflow's tool: the arguments checked against its input schema, then a new run. */
export function prepareWorkflowCall(workflow: WorkflowTool, args: unknown): WorkflowCall {
  const problems = argumentProblems(workflow, args ?? {});
  const outcome = async (options: WorkflowRunOptions & { runs: CallerRuns }): Promise<RunOutcome> => {
    if (problems !== undefined) return done(invalid(workflow.toolName, problems));
    const input = workflow.wrapsInput ? (args as { input: unknown }).input : (args ?? {});
    return startWorkflow(workflow, input, options);
  };
  return { valid: problems === undefined, outcome };
}

const subjectOf = (workflow: WorkflowTool) => ({ agentId: workflow.workflowId, baseUrl: '', subject: `workflow "${workflow.workflowId}"` });

/** The answer to a run that does not exist, and to one the caller may not continue: the same words, so neither can be told from the other. */
const noSuchRun = (workflow: WorkflowTool, runId: string, baseUrl: string): CallToolResult =>
  errorResult(
    `the Mastra server at ${baseUrl} has no run "${runId}" of the workflow "${workflow.workflowId}": check the runId (the suspended result names it).`,
    // The same kind for a run that exists but is not the caller's: the answer is word for word the same.
    'invalid_arguments',
  );

/** What a resume or cancel may act on: the stored run, when it exists and still waits (or, for a cancel, still runs). */
async function storedRun(workflow: WorkflowTool, runId: string, cancel: boolean, options: WorkflowRunOptions): Promise<StoredRun | CallToolResult> {
  const where = `the Mastra server at ${options.baseUrl}`;
  let stored: StoredRun;
  try {
    stored = await runOf(options.client, workflow.workflowId, runId);
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return noSuchRun(workflow, runId, options.baseUrl);
    return failureResult(describeFailure(error, { ...subjectOf(workflow), baseUrl: options.baseUrl }));
  }
  const open = cancel ? ['suspended', 'running', 'waiting', 'pending', 'paused'] : ['suspended'];
  if (!open.includes(String(stored.status)))
    return errorResult(
      `The run "${runId}" of the workflow "${workflow.workflowId}" on ${where} is not ${cancel ? 'going' : 'suspended'} (its status is "${stored.status}"): there is nothing to ${cancel ? 'cancel' : 'resume'}.`,
      'gone',
    );
  return stored;
}

/** The suspended step: the one named, else the one Mastra says the run waits at, else the workflow's only suspending step. */
const stepOf = (workflow: WorkflowTool, stored: StoredRun, named: string | undefined): string | undefined =>
  named ?? Object.entries(stored.steps ?? {}).find(([, step]) => step.status === 'suspended')?.[0] ?? workflow.resumable[0]?.stepId;

/** Whether the caller may continue the run; a store that cannot tell is an error, the same whoever's the run is. */
async function accessOf(workflow: WorkflowTool, runId: string, runs: CallerRuns): Promise<Awaited<ReturnType<typeof accessTo>> | CallToolResult> {
  try {
    return await accessTo(runs, workflow.workflowId, runId);
  } catch (error) {
    return errorResult(
      `The bridge cannot tell who started the run "${runId}" of the workflow "${workflow.workflowId}": ${(error as Error).message}`,
      'refused',
    );
  }
}

/**
 * A call of a workflow's resume tool: resume the run with the answer, or cancel it; only the
 * identity that started the run may (see run-ownership.ts).
 */
export function prepareResumeCall(workflow: WorkflowTool, name: string, args: unknown): WorkflowCall {
  const parsed = resumeArguments.safeParse(args ?? {});
  const outcome = async (options: WorkflowRunOptions & { runs: CallerRuns }): Promise<RunOutcome> => {
    if (!parsed.success) return done(invalid(name, explainInvalid(parsed.error)));
    const { runId, answer, cancel = false } = parsed.data;
    // Both at once: a foreign run costs the same time to refuse as a missing one, and the owner waits for one round trip.
    const [access, stored] = await Promise.all([accessOf(workflow, runId, options.runs), storedRun(workflow, runId, cancel, options)]);
    if (typeof access !== 'string') return done(access);
    if (access === 'refused') return done(noSuchRun(workflow, runId, options.baseUrl));
    if ('content' in stored) return done(stored);
    // Each answer the owner gives opens a new window for the next: a run resumed that suspends again stays theirs as long.
    if (access === 'own' && !cancel) void options.runs.owners.claim(options.runs.identity, workflow.workflowId, runId).catch(() => {});
    if (cancel) return done(await cancelWorkflow(workflow, runId, 'Cancelled as asked.', options, false));
    const step = stepOf(workflow, stored, parsed.data.step);
    const problems = step === undefined ? undefined : answerProblems(workflow, step, answer);
    if (problems !== undefined) return done(invalid(name, `answer: ${problems}`));
    return resumeWorkflow(workflow, { runId, step: step ?? '' }, answer, options);
  };
  return { valid: parsed.success, outcome };
}
