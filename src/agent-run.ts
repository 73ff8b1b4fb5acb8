import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { callAgent, type AgentCallContext } from './agent-call.js';
import { streamAgent } from './agent-stream.js';
import type { AgentTool } from './agents.js';
import { DURATION_FORMS, formatDuration } from './duration.js';
import type { ProgressReporter } from './progress.js';
import type { AgentInput } from './tool-schema.js';

export const DEFAULT_CALL_TIMEOUT_MS = 600_000;

export interface AgentRunOptions extends AgentCallContext {
  /** Longest a run may take before it is aborted upstream; 0 means no limit. Default 10 minutes. */
  callTimeoutMs?: number;
  /** When the caller asked for progress: the run is streamed and reported through it. */
  progress?: ProgressReporter;
}

function timeoutResult(agentId: string, limitMs: number, baseUrl: string): CallToolResult {
  const limit = formatDuration(limitMs);
  const text =
    `The agent "${agentId}" did not finish within the call timeout of ${limit}, so its run on the Mastra server at ${baseUrl} was stopped. ` +
    `To allow longer runs, start the bridge with a larger --call-timeout or MCP_CALL_TIMEOUT (a duration such as ${DURATION_FORMS}), or 0 for no limit.`;
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * One tools/call: streamed when the caller wants progress, else a plain `generate`; either way
 * bounded by the call timeout. A cancelled call rejects, since nobody is waiting for its result.
 */
export async function runAgent(agent: AgentTool, input: AgentInput, options: AgentRunOptions): Promise<CallToolResult> {
  const { callTimeoutMs = DEFAULT_CALL_TIMEOUT_MS, progress, signal: callerSignal, ...rest } = options;
  const timeout = new AbortController();
  const timer = callTimeoutMs > 0 ? setTimeout(() => timeout.abort(new DOMException('call timeout', 'TimeoutError')), callTimeoutMs) : undefined;
  const signal = callerSignal ? AbortSignal.any([callerSignal, timeout.signal]) : timeout.signal;
  try {
    const context = { ...rest, signal };
    return await (progress ? streamAgent(agent, input, context, progress) : callAgent(agent, input, context));
  } catch (error) {
    if (timeout.signal.aborted && !callerSignal?.aborted) return timeoutResult(agent.agentId, callTimeoutMs, options.baseUrl);
    throw error;
  } finally {
    clearTimeout(timer);
    progress?.stop();
  }
}
