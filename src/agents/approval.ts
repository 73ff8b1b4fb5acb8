import type { AgentResponse, PendingApproval } from './agent-api.js';
import { runAgent, type AgentRunOptions } from './agent-run.js';
import type { AgentTool } from '../catalogue/catalogue.js';
import { errorResult, withNote } from '../kernel/results.js';
import type { Answer, CallContext, Question, ResumeHandle, Resumer, RunOutcome } from '../kernel/run-outcome.js';

/**
 * Agent tool approval: Mastra suspends a run whose tool needs approval
 * (`requireApproval` on the tool, `requireToolApproval` on the call or in the agent's default
 * options) and waits for `approveToolCall` or `declineToolCall`. The bridge asks the person.
 */

/** Enough of the arguments to judge by; a tool's whole input may be far longer than a form should show. */
const ARGS_LENGTH = 1_000;

export interface ApprovalHandle extends ResumeHandle {
  kind: 'approval';
  agentId: string;
  runId: string;
  toolCallId: string;
  toolName: string;
  /** The memory the run used, to tell the caller how to continue once it answers. */
  memory?: { thread: string; resource: string };
  /** The caller's request context, sent again with the decision (the caller's own data). */
  requestContext?: Record<string, unknown>;
}

export const approvalForm: Question['schema'] = {
  type: 'object',
  properties: {
    approved: { type: 'boolean', title: 'Approve', description: 'Let the agent call the tool with these arguments.' },
    reason: { type: 'string', title: 'Reason', description: 'Optional: why, told to the agent when you decline.' },
  },
  required: ['approved'],
};

function argumentsText(args: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(args) ?? 'none';
  } catch {
    text = String(args);
  }
  return text.length > ARGS_LENGTH ? `${text.slice(0, ARGS_LENGTH)}… (${text.length} characters in all)` : text;
}

/** The words pass through the agent's redactor: a tool name or argument the model made up may quote its instructions. */
function approvalQuestion(agent: AgentTool, approval: PendingApproval): Question {
  const message = `Agent "${agent.title || agent.agentId}" wants to call tool "${approval.toolName}" with these arguments: ${argumentsText(approval.args)}. Approve?`;
  return { message: agent.redact(message), schema: approvalForm };
}

/** The run's answer, or the paused run asking for the approval it waits for. */
export function approvalOutcome(agent: AgentTool, response: AgentResponse, context: Pick<ApprovalHandle, 'memory' | 'requestContext'>): RunOutcome {
  if ('result' in response) return { done: response.result };
  const { approval } = response;
  const handle: ApprovalHandle = {
    kind: 'approval',
    agentId: agent.agentId,
    runId: approval.runId,
    toolCallId: approval.toolCallId,
    toolName: approval.toolName,
    ...(context.memory ? { memory: context.memory } : {}),
    ...(context.requestContext ? { requestContext: context.requestContext } : {}),
  };
  const unanswerable = errorResult(
    agent.redact(`The agent "${agent.agentId}" waits for a person to approve its call of tool "${approval.toolName}", and this client cannot ask one.`),
    'tool_error',
  );
  return { paused: { question: approvalQuestion(agent, approval), handle, unanswerable } };
}

/** What the person's answer means for the tool call; anything but a clear "approved" is a decline. */
function decisionOf(answer: Answer): { decision: 'approve' | 'decline'; reason?: string } {
  if (answer.action === 'accept') {
    const reason = typeof answer.content.reason === 'string' && answer.content.reason.trim() ? answer.content.reason.trim() : undefined;
    if (answer.content.approved === true) return { decision: 'approve' };
    return { decision: 'decline', reason: reason ?? 'The person declined this tool call.' };
  }
  return { decision: 'decline', reason: answer.action === 'cancel' ? 'The person dismissed the approval request.' : 'The person declined this tool call.' };
}

export interface ApprovalResumerOptions extends Pick<AgentRunOptions, 'callTimeoutMs' | 'onAgentGone'> {
  agent: AgentTool;
}

/** Continues one agent's paused runs: each decision is one more request of the run, which may pause again. */
export function approvalResumer({ agent, ...options }: ApprovalResumerOptions): Resumer {
  const decide = async (handle: ResumeHandle, choice: { decision: 'approve' | 'decline'; reason?: string }, call: CallContext): Promise<RunOutcome> => {
    const pending = handle as ApprovalHandle;
    if (pending.agentId !== agent.agentId)
      throw new Error(`a paused run of agent "${pending.agentId}" cannot be resumed by the tool of agent "${agent.agentId}"`);
    const response = await runAgent(
      agent,
      { ...choice, runId: pending.runId, toolCallId: pending.toolCallId, ...(pending.requestContext ? { requestContext: pending.requestContext } : {}) },
      pending.memory,
      { ...options, ...call },
    );
    return approvalOutcome(agent, response, pending);
  };
  return {
    resume: (handle, answer, call) => decide(handle, decisionOf(answer), call),
    // No tool runs unapproved: a client that cannot ask has its tool calls declined, and the result says so.
    async unanswered(handle, call) {
      const { toolName } = handle as ApprovalHandle;
      const outcome = await decide(handle, { decision: 'decline', reason: 'Nobody could be asked to approve this tool call, so it was declined.' }, call);
      if (!('done' in outcome)) return outcome;
      const note = `The agent "${agent.agentId}" wanted to call tool "${toolName}", which needs a person's approval, but this client cannot be asked (it declared no elicitation): the call was declined, and the agent answered without it.`;
      return { done: withNote(agent.redact(note), outcome.done) };
    },
  };
}
