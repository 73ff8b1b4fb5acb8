import type { MastraClient } from '@mastra/client-js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { runAgent } from '../agents/agent-run.js';
import { memoryFor } from '../agents/agent-call.js';
import { approvalOutcome, approvalResumer } from '../agents/approval.js';
import { APPROVED, askUntilDone, autoApproving, type Asker } from './person-loop.js';
import type { Answer, CallContext, ResumeHandle, Resumers, RunOutcome } from '../kernel/run-outcome.js';
import type { TaskRunContext } from '../tasks/task-runner.js';
import type { Catalogue, AgentTool } from '../catalogue/catalogue.js';
import type { ProgressReporter } from '../kernel/progress.js';
import { agentInput, inputJsonSchema, inputJsonSchemaWithoutMemory, outputJsonSchema } from '../agents/agent-schema.js';
import { explainInvalid } from '../kernel/invalid-arguments.js';
import { prepareResumeCall, prepareWorkflowCall, resumeToolDefinition, workflowToolDefinition, type WorkflowCall } from '../workflows/workflow-call.js';
import type { CallerRuns } from '../workflows/run-ownership.js';
import { workflowResumer } from '../workflows/workflow-resumer.js';
import { capResult, errorResult } from '../kernel/results.js';
import { RequestError, JsonRpcCode } from '../kernel/errors.js';
import type { CallTrace } from '../kernel/call-trace.js';
import { progressTraced, questionTraced, resumersTraced, taskStatusTraced, traced } from './traced-call.js';

/**
 * What both protocol fronts share for tools/list and tools/call: the tool definitions, the
 * argument check and the run. Each front only maps this onto its SDK and wire.
 */

/** Claude Code takes a result of at most this many characters whole, when a tool declares it (else about 25k tokens). */
const CLAUDE_CODE_MAX_RESULT_CHARS = 500_000;

/** What a client may expect of a result's size: Claude Code then shows it whole rather than a preview. */
const sizeHint = (maxResultChars: number) => ({ 'anthropic/maxResultSizeChars': Math.min(maxResultChars, CLAUDE_CODE_MAX_RESULT_CHARS) });

function toTool(agent: AgentTool): Tool {
  return {
    name: agent.toolName,
    title: agent.title,
    description: agent.description,
    // Memory fields only where Mastra said the agent has memory, or would not say: a model should not believe in a conversation nobody keeps.
    inputSchema: agent.hasMemory === false ? inputJsonSchemaWithoutMemory : inputJsonSchema,
    outputSchema: outputJsonSchema,
    // No destructiveHint: an agent's own tools may well change things, so the spec's default (true) is the honest one.
    annotations: { title: agent.title, readOnlyHint: false, openWorldHint: true },
    // A client may run the agent as a task (start, poll, collect) or call it plainly as before.
    execution: { taskSupport: 'optional' },
  };
}

const byName = (a: Tool, b: Tool) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Tool definitions are rebuilt only when the catalogue changes, then shared by all sessions and requests. */
const toolLists = new WeakMap<readonly AgentTool[], Tool[]>();
export function toolsOf(catalogue: Catalogue, maxResultChars: number): Tool[] {
  let tools = toolLists.get(catalogue.tools);
  if (!tools) {
    const workflows = catalogue.workflows;
    const _meta = sizeHint(maxResultChars);
    tools = catalogue.tools.map(toTool);
    // A catalogue change replaces both lists: the agents' list is the key for both.
    if (workflows.length)
      tools = [...tools, ...workflows.map(workflowToolDefinition), ...workflows.filter((w) => w.resumeToolName).map(resumeToolDefinition)].sort(byName);
    tools = tools.map((tool) => ({ ...tool, _meta }));
    toolLists.set(catalogue.tools, tools);
  }
  return tools;
}

export const serverInstructions = (baseUrl: string): string =>
  `Each tool runs one agent of the Mastra server at ${baseUrl} and returns its answer. The tools of agents with memory take threadId (and resourceId): a result that kept a thread says how to continue it. ` +
  'A workflow tool starts a run of that workflow and returns its output; when a step suspends, the person is asked through the client when it can ask, else the result says how to resume the run.';

export interface ToolCallOptions {
  catalogue: Catalogue;
  /** The client this caller's runs go through. */
  client: MastraClient;
  baseUrl: string;
  /** Longest a plain call may take; 0 means no limit (`--call-timeout`). */
  callTimeoutMs: number;
  /** Longest text of a result; longer is cut (`--max-result-chars`). */
  maxResultChars: number;
  /** Approve every agent tool call without asking (`--auto-approve-tools`); when off, a person decides. */
  autoApproveTools: boolean;
  /** The workflow runs this caller starts, and may resume or cancel. */
  runs: CallerRuns;
  /** The call's trace (calls/traced-call.ts), when the caller sent one or spans are exported. */
  trace?: CallTrace;
}

/** How a call runs, each time it starts or resumes: `signal` stops it upstream; `progress` streams it; `task` runs it as a task. */
export interface RunContext {
  signal?: AbortSignal;
  progress?: ProgressReporter;
  task?: TaskRunContext;
}

export interface ToolCall {
  /** Names the work in logs and task status: `agent "echo"`, `workflow "greet"`. */
  label: string;
  /** The call's trace; its `traceId` is the one the call log names. `run` ends it; a front that drives the call otherwise ends it with `traced`. */
  trace?: CallTrace;
  /** The ids a call's log messages carry: `{ agentId }` or `{ workflowId }`. */
  ids: Record<string, string>;
  /** Whether the arguments are valid; a run of invalid ones answers an isError result without calling Mastra. */
  valid: boolean;
  /**
   * Runs the agent to its end. `ask` puts each question of a paused run to the person (default:
   * nobody can be asked). A task runs bounded by its TTL rather than the call timeout.
   */
  run(context: RunContext & { ask?: Asker }): Promise<CallToolResult>;
  /** Starts the run and stops at its first pause: for fronts whose question travels in the result (2026 `input_required`). */
  start(context: RunContext): Promise<RunOutcome>;
  /** Continues a paused run with the person's answer; it may pause again. */
  resume(handle: ResumeHandle, answer: Answer, context: RunContext): Promise<RunOutcome>;
  /** Why an answer that fits the question's form still does not fit the paused run (its kind's own check), or undefined. */
  answerProblem(handle: ResumeHandle, content: Record<string, unknown>): string | undefined;
  /** Drives an outcome to its end through `ask` (default: nobody can be asked). */
  finish(outcome: RunOutcome, context: RunContext & { ask?: Asker }): Promise<CallToolResult>;
}

const nobodyToAsk: Asker = async () => ({ action: 'unanswerable' });

/** A task's statusMessage follows its run the way progress notifications would; the task throttles it already. */
const statusUpdates = (report: (message: string) => void): ProgressReporter => ({ now: report, soon: report, stop() {} });

/** The parts of a call that differ by kind: what it is, and how it starts and runs up to its first pause. */
interface CallParts {
  label: string;
  ids: Record<string, string>;
  valid: boolean;
  start(call: CallContext): Promise<RunOutcome>;
  /** Who continues this call's paused runs, by kind. */
  resumers: Resumers;
}

/**
 * One way to drive every kind of call (agent, workflow) through the fronts: the bounds of each run up to a pause
 * (a task by its TTL, a plain call by the call timeout), the resumers, `--auto-approve-tools`.
 */
function drivenCall(options: ToolCallOptions, parts: CallParts): ToolCall {
  const { baseUrl, callTimeoutMs, autoApproveTools, maxResultChars, trace } = options;
  const { resumers } = parts;
  // Every request of a traced call carries its trace context to Mastra.
  const client = trace ? trace.client(options.client) : options.client;
  // Every result leaves here, plain or task, in both eras: one place bounds its size.
  const capped = (outcome: RunOutcome): RunOutcome => ('done' in outcome ? { done: capResult(outcome.done, maxResultChars) } : outcome);
  // A run resumed is bounded by the call timeout up to its next pause, as its start is; time spent waiting for the person is not.
  const callContext = ({ signal, progress, task }: RunContext): CallContext => ({
    client,
    baseUrl,
    signal: task?.signal ?? signal,
    // A task is bounded by its TTL instead (--task-ttl-max): it exists for runs longer than any call should wait.
    callTimeoutMs: task ? 0 : callTimeoutMs,
    progress: progressTraced(task ? statusUpdates(task.onProgress) : progress, trace),
    ...(trace ? { trace } : {}),
  });
  // Each pause is marked on the trace, whichever front asks the person.
  const tracedResumers = resumersTraced(resumers, trace);
  const resume = async (handle: ResumeHandle, answer: Answer, context: RunContext): Promise<RunOutcome> => {
    const resumer = tracedResumers[handle.kind];
    if (!resumer) return { done: errorResult(`The bridge cannot resume a paused run of kind "${handle.kind}".`, 'tool_error') };
    return capped(await resumer.resume(handle, answer, callContext(context)));
  };
  const begin = async (context: RunContext) => questionTraced(await parts.start(callContext(context)), trace);
  const finishOutcome = async (outcome: RunOutcome, { ask = nobodyToAsk, ...context }: RunContext & { ask?: Asker }) =>
    capResult(await askUntilDone(outcome, autoApproveTools ? autoApproving(ask) : ask, tracedResumers, callContext(context)), maxResultChars);
  return {
    label: parts.label,
    ...(trace ? { trace } : {}),
    ids: parts.ids,
    valid: parts.valid,
    // With --auto-approve-tools a run never stops at an approval, whichever front drives it.
    start: async (context) => {
      let outcome = await begin(context);
      while (autoApproveTools && 'paused' in outcome && outcome.paused.handle.kind === 'approval')
        outcome = await resume(outcome.paused.handle, APPROVED, context);
      return capped(outcome);
    },
    resume,
    answerProblem: (handle, content) => resumers[handle.kind]?.answerProblem?.(handle, content),
    finish: finishOutcome,
    run: (context) =>
      traced(trace, async () => {
        taskStatusTraced('working', context.task, trace);
        try {
          const result = await finishOutcome(await begin(context), context);
          taskStatusTraced(result.isError ? 'failed' : 'completed', context.task, trace);
          return result;
        } finally {
          context.progress?.stop();
        }
      }),
  };
}

/** A workflow call: its runs pause at suspended steps. */
function workflowCall(options: ToolCallOptions, workflowId: string, call: WorkflowCall): ToolCall {
  const onGone = (id: string) => options.catalogue.reportGone(id);
  return drivenCall(options, {
    label: `workflow "${workflowId}"`,
    ids: { workflowId },
    valid: call.valid,
    start: (context) => call.outcome({ ...context, onGone, runs: options.runs }),
    // A suspended step is asked like an approval; decline and cancel cancel the run upstream.
    resumers: { workflow: workflowResumer(options.catalogue, { onGone }) },
  });
}

/** Resolves a tools/call to its agent or workflow and checked arguments; a name nobody has is the caller's invalid-params error. */
export function prepareToolCall(options: ToolCallOptions, name: string, args: unknown): ToolCall {
  const { catalogue, baseUrl, callTimeoutMs } = options;
  const workflow = catalogue.findWorkflow(name);
  if (workflow) return workflowCall(options, workflow.workflowId, prepareWorkflowCall(workflow, args));
  const resumable = catalogue.findResumable(name);
  if (resumable) return workflowCall(options, resumable.workflowId, prepareResumeCall(resumable, name, args));
  const agent = catalogue.find(name);
  if (!agent) {
    const known =
      !catalogue.loaded && catalogue.listingProblem
        ? `${catalogue.listingProblem} No tools are loaded until it answers; then list the tools again.`
        : catalogue.tools.length || catalogue.workflows.length
          ? 'list the tools again to see the agents there are now.'
          : `no agents are loaded from ${baseUrl} yet.`;
    throw new RequestError(JsonRpcCode.InvalidParams, `Unknown tool "${name}": ${known}`);
  }
  const parsed = agentInput.safeParse(args ?? {});
  const onAgentGone = (agentId: string) => catalogue.reportGone(agentId);
  return drivenCall(options, {
    label: `agent "${agent.agentId}"`,
    ids: { agentId: agent.agentId },
    valid: parsed.success,
    start: async (context) => {
      if (!parsed.success) return { done: errorResult(`Invalid arguments for ${name}: ${explainInvalid(parsed.error)}.`, 'invalid_arguments') };
      const input = parsed.data;
      const memory = memoryFor(input);
      const requestContext = input.requestContext as Record<string, unknown> | undefined;
      const first = await runAgent(agent, { message: input.message, ...(requestContext ? { requestContext } : {}) }, memory, { ...context, onAgentGone });
      return approvalOutcome(agent, first, { memory, requestContext });
    },
    resumers: { approval: approvalResumer({ agent, callTimeoutMs, onAgentGone }) },
  });
}
