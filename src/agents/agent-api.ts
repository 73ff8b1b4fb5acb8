import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pathSegment } from '../kernel/mastra-ids.js';

/**
 * What the bridge sends Mastra's agent routes and reads back. A run that needs a tool approval takes
 * several requests: Mastra ends the first `suspended` (generate) or with a `tool-call-approval` chunk
 * (stream), and the next request carries the person's decision to the approve-tool-call or
 * decline-tool-call route, where the run goes on (and may pause again).
 */

export interface StreamPart {
  toolName?: string;
  args?: unknown;
  result?: unknown;
  isError?: boolean;
  payload?: StreamPart;
}

/** What an agent run produced, in the shape of both generate()'s result and a finished stream. */
export interface AgentRun {
  text: string;
  finishReason?: string;
  usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number };
  toolCalls?: StreamPart[];
  toolResults?: StreamPart[];
  /** Set when one of the agent's processors (a guardrail) stopped the run. */
  tripwire?: { reason?: string };
  /** generate() only: the messages Mastra saved, with the thread and resource it saved them in. */
  messages?: { threadId?: string; resourceId?: string }[];
  /** generate() only: the run, and what it waits for when it ended `suspended`. */
  runId?: string;
  suspendPayload?: { toolCallId?: unknown; toolName?: unknown; args?: unknown; resumeSchema?: unknown };
}

/** A tool call the agent's run waits on: Mastra suspended the run until someone approves or declines it. */
export interface PendingApproval {
  runId: string;
  toolCallId: string;
  toolName: string;
  args: unknown;
}

/** What Mastra's answer to one AgentRequest means: the run answered, or it paused for a tool approval. */
export type AgentResponse = { result: CallToolResult } | { approval: PendingApproval };

/** One request of an agent run: a new run from the caller's message, or the person's decision on the tool call a paused run waits for. */
export type AgentRequest =
  | { message: string; requestContext?: Record<string, unknown> }
  | { decision: 'approve' | 'decline'; runId: string; toolCallId: string; reason?: string; requestContext?: Record<string, unknown> };

/** The route of a decision: `approve-tool-call`, `decline-tool-call-generate`, … */
export const decisionRoute = (agentId: string, decision: 'approve' | 'decline', streamed: boolean): string =>
  `/agents/${pathSegment(agentId)}/${decision}-tool-call${streamed ? '' : '-generate'}`;

export const decisionBody = (decision: Extract<AgentRequest, { decision: unknown }>) => ({
  runId: decision.runId,
  toolCallId: decision.toolCallId,
  ...(decision.reason ? { reason: decision.reason } : {}),
  ...(decision.requestContext ? { requestContext: decision.requestContext } : {}),
});

/** Mastra's approval form has one required field, `approved`: a tool that suspended for its own reasons has another. */
function isApprovalForm(schema: unknown): boolean {
  try {
    const parsed = (typeof schema === 'string' ? JSON.parse(schema) : schema) as { properties?: Record<string, unknown> } | undefined;
    return parsed?.properties?.approved !== undefined;
  } catch {
    return false;
  }
}

/** A generate() result that ended waiting for a tool approval. */
export function approvalOf(run: AgentRun): PendingApproval | undefined {
  const pending = run.suspendPayload;
  if (run.finishReason !== 'suspended' || typeof run.runId !== 'string' || typeof pending?.toolCallId !== 'string') return undefined;
  if (!isApprovalForm(pending.resumeSchema)) return undefined;
  return { runId: run.runId, toolCallId: pending.toolCallId, toolName: String(pending.toolName ?? 'unknown'), args: pending.args ?? null };
}
