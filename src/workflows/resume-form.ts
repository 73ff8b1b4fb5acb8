import { z } from 'zod';
import type { ObjectSchema, WorkflowTool } from '../catalogue/workflows.js';
import type { Question } from '../kernel/run-outcome.js';

/** Where a suspended run waits: JSON only, no secret (the person-in-the-loop drivers may sign and send it). */
export interface WorkflowHandle {
  kind: 'workflow';
  workflowId: string;
  runId: string;
  step: string;
  [key: string]: unknown;
}

/** The keywords an elicitation form's fields may carry (MCP's PrimitiveSchemaDefinition). */
const FORM_KEYWORDS = new Set(['type', 'title', 'description', 'default', 'minimum', 'maximum', 'minLength', 'maxLength', 'format', 'enum', 'enumNames']);
const PRIMITIVES = new Set(['string', 'number', 'integer', 'boolean']);

/**
 * The resumeSchema as an elicitation form, when it is one: an object whose properties are each a
 * string, number, integer, boolean or string enum. Anything else (a nested object, an array, a
 * union) cannot be asked through a client; undefined then.
 */
export function formOf(schema: Record<string, unknown> | undefined): Question['schema'] | undefined {
  if (schema?.type !== 'object' || !schema.properties || typeof schema.properties !== 'object') return undefined;
  const properties: Record<string, Record<string, unknown>> = {};
  for (const [key, field] of Object.entries(schema.properties as Record<string, unknown>)) {
    if (!field || typeof field !== 'object') return undefined;
    const entries = Object.entries(field as Record<string, unknown>);
    if (!PRIMITIVES.has(String((field as { type?: unknown }).type))) return undefined;
    if (entries.some(([keyword]) => !FORM_KEYWORDS.has(keyword))) return undefined;
    properties[key] = Object.fromEntries(entries);
  }
  const required = Array.isArray(schema.required) ? (schema.required as unknown[]).filter((r): r is string => typeof r === 'string') : [];
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** The arguments of a workflow's resume tool. */
export const resumeArguments = z
  .object({
    runId: z.string({ error: 'runId is required: the run to resume, as the suspended result named it' }).min(1, 'runId must not be empty'),
    step: z.string().min(1, 'step must not be empty').optional(),
    answer: z.record(z.string(), z.unknown(), { error: 'answer must be an object: the values the step asks for' }).optional(),
    cancel: z.boolean({ error: 'cancel must be true or false' }).optional(),
  })
  .strict()
  .refine((args) => (args.answer === undefined) !== (args.cancel !== true), {
    message: 'give either answer (to resume the run) or cancel: true (to cancel it)',
  });

export type ResumeArguments = z.infer<typeof resumeArguments>;

/** The resume tool's input: the answer's own form when the workflow has one suspending step, else any object. */
export function resumeInputSchema(workflow: WorkflowTool): ObjectSchema {
  const only = workflow.resumable.length === 1 ? workflow.resumable[0]!.resumeSchema : undefined;
  const steps = workflow.resumable.map((step) => step.stepId).join(', ');
  return {
    type: 'object',
    properties: {
      runId: { type: 'string', minLength: 1, description: "The suspended run, as the workflow tool's result named it." },
      step: { type: 'string', description: `The suspended step (${steps}); default: the one the run waits at.` },
      answer: { ...(only ?? { type: 'object' }), description: 'What the step asks for (its resumeSchema).' },
      cancel: { type: 'boolean', description: 'true cancels the run on the Mastra server instead of resuming it.' },
    },
    required: ['runId'],
    additionalProperties: false,
  };
}
