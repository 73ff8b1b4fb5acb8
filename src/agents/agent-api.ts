import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pathSegment } from '../kernel/mastra-ids.js';

/**
 * The legs of an agent run that may wait for a tool approval : Mastra ends a leg
 * `suspended` (generate) or with a `tool-call-approval` chunk (stream), and the next leg starts
 * at its approve-tool-call or decline-tool-call route.
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

/** One leg of an agent run: it answered, or it paused for a tool approval. */
export type AgentLeg = { result: CallToolResult } | { approval: PendingApproval };

/** Where a leg starts: a new run from the caller's message, or the person's decision on the tool call it waits for. */
export type LegStart =
  | { message: string; requestContext?: Record<string, unknown> }
  | { decision: 'approve' | 'decline'; runId: string; toolCallId: string; reason?: string; requestContext?: Record<string, unknown> };

/** The route of a decision: `approve-tool-call`, `decline-tool-call-generate`, … */
export const decisionRoute = (agentId: string, decision: 'approve' | 'decline', streamed: boolean): string =>
  `/agents/${pathSegment(agentId)}/${decision}-tool-call${streamed ? '' : '-generate'}`;

export const decisionBody = (leg: Extract<LegStart, { decision: unknown }>) => ({
  runId: leg.runId,
  toolCallId: leg.toolCallId,
  ...(leg.reason ? { reason: leg.reason } : {}),
  ...(leg.requestContext ? { requestContext: leg.requestContext } : {}),
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

