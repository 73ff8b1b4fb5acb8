import type { MastraClient } from '@mastra/client-js';
import { isAddressable, pathSegment } from '../kernel/mastra-ids.js';
import { upstreamReason } from '../kernel/errors.js';
import { readSchema } from './schema-bounds.js';

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

const isObjectSchema = (schema: Record<string, unknown> | undefined): schema is ObjectSchema => schema?.type === 'object';

/** Step ids in graph order, parallel and conditional branches included. */
function stepIdsOf(graph: readonly GraphEntry[] = []): string[] {
  return graph.flatMap((entry) => [...(entry.step?.id ? [entry.step.id] : []), ...stepIdsOf(entry.steps)]);
}

function suspendingStepsOf(graph: readonly GraphEntry[] = []): string[] {
  return graph.flatMap((entry) => [...(entry.step?.canSuspend && entry.step.id ? [entry.step.id] : []), ...suspendingStepsOf(entry.steps)]);
}

/**
 * A workflow is named by its key in Mastra's listing (`purchaseWorkflow`) everywhere, never by the id it was created
 * with (`purchase`, which the listing calls its name): the key is what Mastra's API, the tool names and every text use.
 */
export function describeWorkflow(workflowId: string, workflow: ListedWorkflow, steps: readonly string[], resumeToolName?: string): string {
  return [
    `Run the Mastra workflow "${workflowId}" and get its output.`,
    workflow.description?.trim() ?? '',
    steps.length ? `Steps: ${steps.join(', ')}.` : '',
    resumeToolName
      ? `A step may suspend to wait for a person's answer: the client is asked when it can ask, else the result says how to resume the run with ${resumeToolName}.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** A listed workflow's schemas, read within the bounds of schema-bounds.ts. */
export interface WorkflowSchemas {
  input?: Record<string, unknown>;
  output?: Record<string, unknown>;
  resumable: ResumableStep[];
}

/** The schemas of a listed workflow, or why the bridge cannot serve it (the first schema out of bounds). */
export function schemasOf(workflow: ListedWorkflow): WorkflowSchemas | { problem: string } {
  const input = readSchema(workflow.inputSchema, 'its inputSchema', true);
  if (input.problem !== undefined) return input;
  // The bridge never checks a value against the output schema, so its patterns may be any.
  const output = readSchema(workflow.outputSchema, 'its outputSchema', false);
  if (output.problem !== undefined) return output;
  const listedSteps = Object.values(workflow.allSteps ?? {});
  const resumable: ResumableStep[] = [];
  for (const stepId of suspendingStepsOf(workflow.stepGraph)) {
    const serialized = listedSteps.find((step) => step.id === stepId)?.resumeSchema;
    const resume = readSchema(serialized, `the resumeSchema of its step ${JSON.stringify(stepId)}`, true);
    if (resume.problem !== undefined) return resume;
    resumable.push({ stepId, resumeSchema: resume.schema });
  }
  return { input: input.schema, output: output.schema, resumable };
}

/** One listed workflow as a tool, once its schemas are read and its names known. */
export function workflowToolOf(
  workflowId: string,
  workflow: ListedWorkflow,
  { input, output, resumable }: WorkflowSchemas,
  toolName: string,
  resumeToolName: string | undefined,
): WorkflowTool {
  const steps = stepIdsOf(workflow.stepGraph);
  const wrapsInput = input !== undefined && !isObjectSchema(input);
  return {
    workflowId,
    toolName,
    title: workflowId,
    description: describeWorkflow(workflowId, workflow, steps, resumable.length ? resumeToolName : undefined),
    inputSchema: wrapsInput
      ? {
          type: 'object',
          properties: { input: { description: "The workflow's input (it is no object, so it travels under this key).", ...input! } },
          required: ['input'],
          additionalProperties: false,
        }
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

/** What Mastra said of its workflows: each one's listing, and those it could not describe, with why. */
export interface WorkflowListing {
  workflows: Record<string, ListedWorkflow>;
  undescribed: Map<string, string>;
  /** Why Mastra listed no workflows to this client, when it refused (401, 403): the token may not list them. */
  refused?: string;
}

/** How many workflows are asked for at once when they must be asked for one by one. */
const DESCRIBED_AT_ONCE = 4;

const statusOf = (error: unknown) => (error as { status?: unknown } | undefined)?.status;
const isServerError = (error: unknown) => {
  const status = statusOf(error);
  return typeof status === 'number' && status >= 500;
};

/**
 * The workflows Mastra lists. A token that may not list them (401, 403) or a Mastra without the
 * route (404) has none: agents alone are still served. Mastra answers 500 to the whole listing when it
 * cannot serialize one workflow's schema (one nested a few hundred levels overflows its stack): then the
 * `wanted` workflows are asked for one by one, so that only that one is left out. Any other failure is the listing's.
 */
export async function listWorkflows(client: MastraClient, wanted: (workflowId: string) => boolean): Promise<WorkflowListing> {
  try {
    return { workflows: (await client.listWorkflows()) as Record<string, ListedWorkflow>, undescribed: new Map() };
  } catch (error) {
    const status = statusOf(error);
    if (status === 401 || status === 403) return { workflows: {}, undescribed: new Map(), refused: upstreamReason(error) };
    if (status === 404) return { workflows: {}, undescribed: new Map() };
    if (!isServerError(error)) throw error;
    return describeOneByOne(client, wanted, error);
  }
}

async function describeOneByOne(client: MastraClient, wanted: (workflowId: string) => boolean, failure: unknown): Promise<WorkflowListing> {
  let workflows: Record<string, ListedWorkflow>;
  try {
    // The partial listing names every workflow without serializing a schema.
    workflows = (await client.listWorkflows(undefined, true)) as Record<string, ListedWorkflow>;
  } catch {
    throw failure;
  }
  const undescribed = new Map<string, string>();
  const ids = Object.keys(workflows).filter((id) => wanted(id) && isAddressable(id));
  for (let start = 0; start < ids.length; start += DESCRIBED_AT_ONCE) {
    await Promise.all(
      ids.slice(start, start + DESCRIBED_AT_ONCE).map(async (id) => {
        try {
          workflows[id] = (await client.getWorkflow(pathSegment(id)).details()) as ListedWorkflow;
        } catch (error) {
          if (!isServerError(error)) throw error;
          undescribed.set(id, `Mastra could not describe it (${upstreamReason(error)})`);
        }
      }),
    );
  }
  return { workflows, undescribed };
}
