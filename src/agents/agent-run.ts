import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { callAgent, type AgentCallContext } from './agent-call.js';
import type { AgentRequest, AgentResponse } from './agent-api.js';
import { streamAgent } from './agent-stream.js';
import type { AgentTool } from '../catalogue/catalogue.js';
import { callDeadline, timeoutText } from '../kernel/call-timeout.js';
import { errorResult } from '../kernel/results.js';
import type { ProgressReporter } from '../kernel/progress.js';

export interface AgentRunOptions extends AgentCallContext {
  /** Longest a run may take before it is aborted upstream; 0 means no limit (`--call-timeout`). */
  callTimeoutMs: number;
  /** When the caller asked for progress: the run is streamed and reported through it. */
  progress?: ProgressReporter;
}

const timeoutResult = (agentId: string, limitMs: number, baseUrl: string): CallToolResult =>
  errorResult(timeoutText(`The agent "${agentId}"`, limitMs, `its run on the Mastra server at ${baseUrl} was stopped`), 'timeout');

/** Progress as the caller sees it: every message passes through the agent's redactor. */
const redacting = (progress: ProgressReporter, redact: (text: string) => string): ProgressReporter => ({
  now: (message) => progress.now(redact(message)),
  soon: (message) => progress.soon(redact(message)),
  stop: () => progress.stop(),
});

/**
 * The one point every run's words pass through (plain, streamed and task calls, their progress and
 * task status): an error or a progress message may quote the agent's instructions (a provider error
 * that repeats the prompt, a tool name the model made up), and the instructions are a secret.
 */
export async function runAgent(
  agent: AgentTool,
  request: AgentRequest,
  memory: { thread: string; resource: string } | undefined,
  options: AgentRunOptions,
): Promise<AgentResponse> {
  let outcome: AgentResponse;
  try {
    outcome = await runUnredacted(agent, request, memory, { ...options, progress: options.progress && redacting(options.progress, agent.redact) });
  } catch (error) {
    // Cancellation, or a bug: either way its message may reach the caller (a task's status, a JSON-RPC error).
    const message = error instanceof Error ? agent.redact(error.message) : undefined;
    if (message !== undefined && message !== (error as Error).message) (error as Error).message = message;
    throw error;
  }
  if (!('result' in outcome) || !outcome.result.isError) return outcome;
  const { result } = outcome;
  return { result: { ...result, content: result.content.map((part) => (part.type === 'text' ? { ...part, text: agent.redact(part.text) } : part)) } };
}

/**
 * One request of a run: streamed when the caller wants progress, else a plain `generate`; either way
 * bounded by the call timeout. A cancelled call rejects, since nobody is waiting for its result.
 */
async function runUnredacted(
  agent: AgentTool,
  request: AgentRequest,
  memory: { thread: string; resource: string } | undefined,
  options: AgentRunOptions,
): Promise<AgentResponse> {
  const { callTimeoutMs, progress, signal: callerSignal, ...rest } = options;
  const deadline = callDeadline(callTimeoutMs, callerSignal);
  try {
    const context = { ...rest, signal: deadline.signal };
    return await (progress ? streamAgent(agent, request, memory, context, progress) : callAgent(agent, request, memory, context));
  } catch (error) {
    if (deadline.timedOut()) return { result: timeoutResult(agent.agentId, callTimeoutMs, options.baseUrl) };
    throw error;
  } finally {
    // The reporter lives as long as the call (tool-call.ts stops it): a decision's request reports through it too.
    deadline.clear();
  }
}
