import { z } from 'zod';
import { formatBytes } from '../kernel/byte-size.js';

/** Bounds on `requestContext`: context is a few keys, and a deeper value would overflow the stack when sent. */
const REQUEST_CONTEXT_MAX_DEPTH = 32;
const REQUEST_CONTEXT_MAX_BYTES = 256 * 1024;

/** How deep objects and arrays nest, up to `limit + 1`; counted level by level, so no input can overflow the stack. */
function nestingOf(value: unknown, limit: number): number {
  let depth = 0;
  for (let level = [value]; level.length > 0 && depth <= limit; depth++) {
    const next: unknown[] = [];
    for (const item of level) if (item && typeof item === 'object') for (const child of Object.values(item)) next.push(child);
    level = next;
  }
  return depth;
}

function checkRequestContext(context: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (nestingOf(context, REQUEST_CONTEXT_MAX_DEPTH) > REQUEST_CONTEXT_MAX_DEPTH) {
    ctx.addIssue({ code: 'custom', message: `requestContext must nest at most ${REQUEST_CONTEXT_MAX_DEPTH} levels deep; pass flatter values` });
    return;
  }
  const bytes = Buffer.byteLength(JSON.stringify(context));
  if (bytes > REQUEST_CONTEXT_MAX_BYTES)
    ctx.addIssue({
      code: 'custom',
      message: `requestContext must be at most ${formatBytes(REQUEST_CONTEXT_MAX_BYTES)} as JSON (it is ${formatBytes(bytes)}); pass only the keys the agent needs`,
    });
}

/**
 * Any JSON value, said with a type all the same: a schema of `{}` is valid but some clients flag it as unportable
 * (the MCP Inspector warns on each one).
 */
const jsonValue = () => z.unknown().meta({ type: ['object', 'array', 'string', 'number', 'boolean', 'null'] });

/** What every agent tool takes. Shared by all tools, so it is built and converted once. */
export const agentInput = z
  .object({
    message: z
      .string({
        error: (issue) => (issue.input === undefined ? 'message is required: the text to send to the agent' : 'message must be a string'),
      })
      .min(1, 'message must not be empty')
      .describe('What to ask or tell the agent, in plain words.'),
    threadId: z.string().min(1, 'threadId must not be empty').optional().describe('Continue this Mastra memory thread.'),
    resourceId: z.string().min(1, 'resourceId must not be empty').optional().describe('The Mastra memory resource (user or entity) that owns the thread.'),
    requestContext: z
      .record(z.string(), jsonValue(), { error: 'requestContext must be an object of key/value pairs' })
      .superRefine(checkRequestContext)
      .optional()
      .describe(
        `Values passed to the agent as Mastra request context (at most ${REQUEST_CONTEXT_MAX_DEPTH} levels deep, ${formatBytes(REQUEST_CONTEXT_MAX_BYTES)} as JSON).`,
      ),
  })
  .describe('A message for the agent, and optionally a memory thread to continue.');

export type AgentInput = z.infer<typeof agentInput>;

const agentOutput = z.object({
  text: z.string().describe("The agent's final answer."),
  agentId: z.string().describe('The Mastra agent that answered.'),
  finishReason: z.string().optional().describe('Why the model stopped: stop, length, tool-calls…'),
  usage: z
    .object({ inputTokens: z.number().optional(), outputTokens: z.number().optional(), totalTokens: z.number().optional() })
    .optional()
    .describe('Tokens the run used, as Mastra counted them.'),
  toolCalls: z
    .array(z.object({ toolName: z.string(), args: jsonValue().describe('The arguments the model gave the tool.') }))
    .describe('The tools the agent called, in order.'),
  toolResults: z
    .array(z.object({ toolName: z.string(), result: jsonValue().describe('What the tool returned.'), isError: z.boolean() }))
    .describe('What each tool call returned.'),
  threadId: z.string().optional().describe('The memory thread this run used: pass it again to continue.'),
  resourceId: z.string().optional().describe('The memory resource that owns the thread.'),
});

export type AgentOutput = z.infer<typeof agentOutput>;

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest as { type: 'object'; [key: string]: unknown };
};

export const inputJsonSchema = jsonSchema(agentInput);
/**
 * The input an agent without memory offers: no threadId or resourceId, which would let a calling
 * model believe it holds a conversation. A call that sends them anyway is still taken (the tool list
 * may be older than the agent), and its result says how to continue only when Mastra kept the thread.
 */
export const inputJsonSchemaWithoutMemory = jsonSchema(
  agentInput.omit({ threadId: true, resourceId: true }).describe('A message for the agent (it has no memory: each call starts afresh).'),
);
export const outputJsonSchema = jsonSchema(agentOutput);
