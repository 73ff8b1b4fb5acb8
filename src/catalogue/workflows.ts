import type { MastraClient } from '@mastra/client-js';

/** A JSON Schema as a tool publishes it: MCP wants an object at the top. */
export type ObjectSchema = { type: 'object'; [key: string]: unknown };

/** A step that can suspend for an answer, and the form of that answer (its `resumeSchema`). */
export interface ResumableStep {
  stepId: string;
  resumeSchema?: Record<string, unknown>;
}

/** What the bridge needs to know of one Mastra workflow to offer it as a tool. */
export interface WorkflowTool {
  workflowId: string;
  toolName: string;
  title: string;
  description: string;
  /** The workflow's input schema as Mastra publishes it (without its `$schema` dialect line), or a wrapper when that is no object. */
  inputSchema: ObjectSchema;
  /** Set when the workflow's input is no object: the tool takes it as `{ input }`. */
  wrapsInput: boolean;
  /** The workflow's output schema, when it has one that is an object. */
  outputSchema?: ObjectSchema;
  /** The steps of its graph, in order (nested ones included), for the description and failure texts. */
  steps: string[];
  /** Steps that can suspend; when there are any, the workflow also gets a resume tool. */
  resumable: ResumableStep[];
  /** The name of its resume tool, when it can suspend. */
  resumeToolName?: string;
}

/** The listing fields we read (`GET /workflows`, not partial: the partial listing has no schemas). */
interface ListedStep {
  id?: string;
  resumeSchema?: string;
}
interface GraphEntry {
  type?: string;
  step?: { id?: string; canSuspend?: boolean };
  steps?: GraphEntry[];
}
export interface ListedWorkflow {
  name?: string;
  description?: string;
  inputSchema?: string;
  outputSchema?: string;
  allSteps?: Record<string, ListedStep>;
  stepGraph?: GraphEntry[];
}

/** Mastra sends each schema as a superjson string of a JSON Schema; an unreadable one counts as none. */
export function parseSchema(serialized: string | undefined): Record<string, unknown> | undefined {
  if (!serialized) return undefined;
  try {
    const parsed = JSON.parse(serialized) as { json?: unknown };
    const schema = parsed && typeof parsed === 'object' && 'json' in parsed ? parsed.json : parsed;
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
    // The dialect line is dropped: MCP clients of 2026-07-28 assume 2020-12 and some refuse another's URI.
    const { $schema: _dialect, ...rest } = schema as Record<string, unknown>;
    return rest;
  } catch {
    return undefined;
  }
}

const isObjectSchema = (schema: Record<string, unknown> | undefined): schema is ObjectSchema => schema?.type === 'object';

/** Step ids in graph order, parallel and conditional branches included. */
function stepIdsOf(graph: readonly GraphEntry[] = []): string[] {
  return graph.flatMap((entry) => [...(entry.step?.id ? [entry.step.id] : []), ...stepIdsOf(entry.steps)]);
}

function suspendingStepsOf(graph: readonly GraphEntry[] = []): string[] {
  return graph.flatMap((entry) => [...(entry.step?.canSuspend && entry.step.id ? [entry.step.id] : []), ...suspendingStepsOf(entry.steps)]);
}

export function describeWorkflow(workflowId: string, workflow: ListedWorkflow, steps: readonly string[], resumeToolName?: string): string {
  const name = workflow.name || workflowId;
  return [
    `Run the Mastra workflow "${name}" and get its output.`,
    workflow.description?.trim() ?? '',
    steps.length ? `Steps: ${steps.join(', ')}.` : '',
    resumeToolName ? `A step may suspend to wait for a person's answer: the client is asked when it can ask, else the result says how to resume the run with ${resumeToolName}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** One listed workflow as a tool, once its names are known. */
export function workflowToolOf(workflowId: string, workflow: ListedWorkflow, toolName: string, resumeToolName: string | undefined): WorkflowTool {
  const input = parseSchema(workflow.inputSchema);
  const output = parseSchema(workflow.outputSchema);
  const steps = stepIdsOf(workflow.stepGraph);
  const wrapsInput = input !== undefined && !isObjectSchema(input);
  const listedSteps = Object.values(workflow.allSteps ?? {});
  const resumable = suspendingStepsOf(workflow.stepGraph).map((stepId) => ({
    stepId,
    resumeSchema: parseSchema(listedSteps.find((step) => step.id === stepId)?.resumeSchema),
  }));
  return {
    workflowId,
    toolName,
    title: workflow.name || workflowId,
    description: describeWorkflow(workflowId, workflow, steps, resumable.length ? resumeToolName : undefined),
    inputSchema: wrapsInput
      ? { type: 'object', properties: { input: input! }, required: ['input'], additionalProperties: false }
      : ((input as ObjectSchema | undefined) ?? { type: 'object', properties: {} }),
    wrapsInput,
    ...(isObjectSchema(output) ? { outputSchema: output } : {}),
    steps,
    resumable,
    ...(resumable.length ? { resumeToolName } : {}),
  };
}

/** Whether a workflow can suspend, from its listing alone (before it has tool names). */
export const canSuspend = (workflow: ListedWorkflow): boolean => suspendingStepsOf(workflow.stepGraph).length > 0;

/**
 * The workflows Mastra lists. A token that may not list them (401, 403) or a Mastra without the
 * route (404) has none: agents alone are still served; any other failure is the listing's.
 */
export async function listWorkflows(client: MastraClient): Promise<Record<string, ListedWorkflow>> {
  try {
    return (await client.listWorkflows()) as Record<string, ListedWorkflow>;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 401 || status === 403 || status === 404) return {};
    throw error;
  }
}
