import type { MastraClient } from '@mastra/client-js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { runAgent } from './agent-run.js';
import type { TaskRunContext } from '../tasks/agent-task.js';
import type { AgentCatalogue, AgentTool } from '../catalogue/agents.js';
import type { ProgressReporter } from './progress.js';
import { agentInput, explainInvalid, inputJsonSchema, outputJsonSchema } from './tool-schema.js';
import { prepareResumeCall, prepareWorkflowCall, resumeToolDefinition, workflowToolDefinition, type WorkflowCall } from './workflow-call.js';

/**
 * What both protocol fronts share for tools/list and tools/call: the tool definitions, the
 * argument check and the run. Each front only maps this onto its SDK and wire.
 */

function toTool(agent: AgentTool): Tool {
  return {
    name: agent.toolName,
    title: agent.title,
    description: agent.description,
    inputSchema: inputJsonSchema,
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
export function toolsOf(catalogue: AgentCatalogue): Tool[] {
  let tools = toolLists.get(catalogue.tools);
  if (!tools) {
    const workflows = catalogue.workflows;
    tools = catalogue.tools.map(toTool);
    // A catalogue change replaces both lists: the agents' list is the key for both.
    if (workflows.length)
      tools = [...tools, ...workflows.map(workflowToolDefinition), ...workflows.filter((w) => w.resumeToolName).map(resumeToolDefinition)].sort(byName);
    toolLists.set(catalogue.tools, tools);
  }
  return tools;
}

export const serverInstructions = (baseUrl: string): string =>
  `Each tool runs one agent of the Mastra server at ${baseUrl} and returns its answer. Pass threadId (and resourceId) to continue a conversation with an agent that has memory. ` +
  'A workflow tool starts a run of that workflow and returns its output; when a step suspends, the result says how to resume the run.';

/** A tool name the catalogue does not know; each front answers it with its own invalid-params error. */
export class UnknownToolError extends Error {}

export interface ToolCallOptions {
  catalogue: AgentCatalogue;
  /** The client this caller's runs go through. */
  client: MastraClient;
  baseUrl: string;
  /** Longest a plain call may take; 0 means no limit. */
  callTimeoutMs?: number;
}

export interface ToolCall {
  /** Names the work in logs and task status: `agent "echo"`, `workflow "greet"`. */
  label: string;
  /** The ids a call's log messages carry: `{ agentId }` or `{ workflowId }`. */
  ids: Record<string, string>;
  /** Whether the arguments are valid; a run of invalid ones answers an isError result without calling Mastra. */
  valid: boolean;
  /**
   * Runs the agent. `signal` stops it upstream; `progress` streams it; `task` runs it as a task
   * instead (status messages, bounded by the task's TTL rather than the call timeout).
   */
  run(context: { signal?: AbortSignal; progress?: ProgressReporter; task?: TaskRunContext }): Promise<CallToolResult>;
}

/** A task's statusMessage follows its run the way progress notifications would; the task throttles it already. */
const statusUpdates = (report: (message: string) => void): ProgressReporter => ({ now: report, soon: report, stop() {} });

const errorResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** A workflow call as a tool call: the same timeout, cancellation, progress and task handling as an agent's. */
function asToolCall(options: ToolCallOptions, workflowId: string, call: WorkflowCall): ToolCall {
  const { catalogue, client, baseUrl, callTimeoutMs } = options;
  return {
    label: `workflow "${workflowId}"`,
    ids: { workflowId },
    valid: call.valid,
    run: async ({ signal, progress, task }) => {
      const reporter = task ? statusUpdates(task.onProgress) : progress;
      try {
        return await call.run({
          client,
          baseUrl,
          signal: task?.signal ?? signal,
          callTimeoutMs: task ? 0 : callTimeoutMs,
          progress: reporter,
          onGone: (id) => catalogue.reportGone(id),
        });
      } finally {
        reporter?.stop();
      }
    },
  };
}

/** Resolves a tools/call to its agent or workflow and checked arguments; throws UnknownToolError for a name nobody has. */
export function prepareToolCall(options: ToolCallOptions, name: string, args: unknown): ToolCall {
  const { catalogue, client, baseUrl, callTimeoutMs } = options;
  const workflow = catalogue.findWorkflow(name);
  if (workflow) return asToolCall(options, workflow.workflowId, prepareWorkflowCall(workflow, args));
  const resumable = catalogue.findResumable(name);
  if (resumable) return asToolCall(options, resumable.workflowId, prepareResumeCall(resumable, name, args));
  const agent = catalogue.find(name);
  if (!agent) {
    const known = catalogue.tools.length || catalogue.workflows.length ? 'list the tools again to see the agents there are now' : `no agents are loaded from ${baseUrl} yet`;
    throw new UnknownToolError(`Unknown tool "${name}": ${known}.`);
  }
  const parsed = agentInput.safeParse(args ?? {});
  return {
    label: `agent "${agent.agentId}"`,
    ids: { agentId: agent.agentId },
    valid: parsed.success,
    run: async ({ signal, progress, task }) => {
      if (!parsed.success) {
        progress?.stop();
        return errorResult(`Invalid arguments for ${name}: ${explainInvalid(parsed.error)}.`);
      }
      return runAgent(agent, parsed.data, {
        client,
        baseUrl,
        signal: task?.signal ?? signal,
        // A task is bounded by its TTL instead (--task-ttl-max): it exists for runs longer than any call should wait.
        callTimeoutMs: task ? 0 : callTimeoutMs,
        progress: task ? statusUpdates(task.onProgress) : progress,
        onAgentGone: (agentId) => catalogue.reportGone(agentId),
      });
    },
  };
}
