import type { MastraClient } from '@mastra/client-js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { agentOf, memoryThreadOf } from '../kernel/mastra-ids.js';
import { approvalOf, decisionBody, decisionRoute, type AgentRequest, type AgentResponse, type AgentRun, type StreamPart } from './agent-api.js';
import type { AgentTool } from '../catalogue/catalogue.js';
import type { CallTrace } from '../kernel/call-trace.js';
import { capDetail, describeFailure, isAgentNotFound } from '../kernel/errors.js';
import type { AgentInput, AgentOutput } from './agent-schema.js';
import { errorResult, failureResult, textResult } from '../kernel/results.js';

export interface AgentCallContext {
  client: MastraClient;
  baseUrl: string;
  /** Aborted when the MCP caller cancels; the upstream request is aborted with it. */
  signal?: AbortSignal;
  /** Told when Mastra answers 404 for the agent, so the tool list can be refreshed at once. */
  onAgentGone?: (agentId: string) => void;
  /** The call's trace: a new run starts inside it. */
  trace?: CallTrace;
}

/** Mastra memory options from the tool's input; a missing half is filled so the call can continue later. */
export function memoryFor(input: AgentInput): { thread: string; resource: string } | undefined {
  if (!input.threadId && !input.resourceId) return undefined;
  const thread = input.threadId ?? randomUUID();
  return { thread, resource: input.resourceId ?? thread };
}

/** The thread a run used, and its resource when the bridge knows which one Mastra used. */
export interface MemoryUsed {
  thread: string;
  resource?: string;
}

/**
 * Mastra may put a run in another resource than the one sent: with `mapUserToResourceId` in its
 * auth config, the user's own resource always wins. generate()'s messages carry the ids Mastra
 * really used, so those are reported rather than what the bridge asked for.
 */
function memoryOfMessages(sent: { thread: string }, messages: AgentRun['messages']): MemoryUsed {
  const saved = messages?.find((m) => typeof m.resourceId === 'string' && m.resourceId !== '');
  return saved ? { thread: saved.threadId ?? sent.thread, resource: saved.resourceId } : { thread: sent.thread };
}

/**
 * Whether Mastra kept the thread, read from the thread itself: a stream's chunks do not say which
 * resource Mastra used, and generate() tags its messages with the memory it was asked for even
 * when the agent has none. No thread (404): nothing is there to continue. Unreadable otherwise:
 * kept only if the agent is known to have memory, and the resource is not guessed.
 */
export async function memoryOfThread(client: MastraClient, agent: AgentTool, sent: { thread: string }): Promise<MemoryUsed | undefined> {
  try {
    const thread = (await memoryThreadOf(client, sent.thread, agent.agentId).get()) as { resourceId?: unknown };
    return typeof thread.resourceId === 'string' && thread.resourceId ? { thread: sent.thread, resource: thread.resourceId } : { thread: sent.thread };
  } catch (error) {
    return (error as { status?: unknown }).status !== 404 && agent.hasMemory === true ? { thread: sent.thread } : undefined;
  }
}

/** The memory a generate() run kept: its messages say which, once Mastra said the agent has memory; else the thread is read. */
const memoryOfRun = (client: MastraClient, agent: AgentTool, sent: { thread: string }, run: AgentRun): Promise<MemoryUsed | undefined> | MemoryUsed =>
  agent.hasMemory === true ? memoryOfMessages(sent, run.messages) : memoryOfThread(client, agent, sent);

/** Said in the text too: many clients show the model only the text, and it needs the ids to continue. */
function continuation({ thread, resource }: MemoryUsed): string {
  return resource
    ? `To continue this conversation, call this tool again with threadId "${thread}" and resourceId "${resource}".`
    : `To continue this conversation, call this tool again with threadId "${thread}" (the Mastra server chose its resource).`;
}

/** A run a guardrail stopped is a refusal, not an answer: the caller must not read it as one. */
function refusal(agentId: string, reason: string | undefined): CallToolResult {
  const why = reason ? `: ${capDetail(reason)}` : '';
  const text = `The agent "${agentId}" refused the request${why}. One of its processors (a Mastra guardrail) stopped the run; change the message, or ask another agent.`;
  return errorResult(text, 'refused');
}

/**
 * Only the fields a caller needs. Mastra's full result also carries the raw model request and
 * response, which hold the agent's system prompt, so nothing is copied over wholesale.
 */
export function toToolResult(agentId: string, run: AgentRun, memory?: MemoryUsed): CallToolResult {
  if (run.tripwire) return refusal(agentId, run.tripwire.reason);
  const part = (p: StreamPart) => p.payload ?? p;
  const usage = run.usage && {
    inputTokens: run.usage.inputTokens,
    outputTokens: run.usage.outputTokens,
    totalTokens: run.usage.totalTokens,
  };
  const output: AgentOutput = {
    text: run.text ?? '',
    agentId,
    finishReason: run.finishReason,
    usage,
    toolCalls: (run.toolCalls ?? []).map(part).map((c) => ({ toolName: c.toolName ?? 'unknown', args: c.args ?? null })),
    toolResults: (run.toolResults ?? []).map(part).map((r) => ({
      toolName: r.toolName ?? 'unknown',
      result: r.result ?? null,
      isError: Boolean(r.isError),
    })),
    ...(memory ? { threadId: memory.thread } : {}),
    ...(memory?.resource ? { resourceId: memory.resource } : {}),
  };
  const text = output.text || `The agent "${agentId}" finished (${output.finishReason ?? 'no reason given'}) without a text answer.`;
  return textResult(memory ? [text, continuation(memory)] : text, output);
}

/** A failed run as a tool result; Mastra's "agent not found" also tells the catalogue that its list is out of date. */
export function toErrorResult(error: unknown, agentId: string, { baseUrl, onAgentGone }: AgentCallContext): CallToolResult {
  if (isAgentNotFound(error)) onAgentGone?.(agentId);
  return failureResult(describeFailure(error, { agentId, baseUrl }));
}

/** One request of an agent run through `generate` (or its approve/decline twin). Never retried: see mastra-client.ts. */
export async function callAgent(
  agent: AgentTool,
  request: AgentRequest,
  memory: { thread: string; resource: string } | undefined,
  context: AgentCallContext,
): Promise<AgentResponse> {
  const resource = agentOf(context.client, agent.agentId);
  try {
    const run = (
      'message' in request
        ? await resource.generate(request.message, {
            ...(memory ? { memory } : {}),
            ...(request.requestContext ? { requestContext: request.requestContext as never } : {}),
            ...(context.trace ? { tracingOptions: context.trace.runOptions() } : {}),
            abortSignal: context.signal,
          })
        : await resource.request(decisionRoute(agent.agentId, request.decision, false), { method: 'POST', body: decisionBody(request), signal: context.signal })
    ) as AgentRun;
    const approval = approvalOf(run);
    if (approval) return { approval };
    return { result: toToolResult(agent.agentId, run, memory && (await memoryOfRun(context.client, agent, memory, run))) };
  } catch (error) {
    context.signal?.throwIfAborted();
    return { result: toErrorResult(error, agent.agentId, context) };
  }
}
