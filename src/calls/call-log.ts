import type { CallToolResult, LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { formatDuration } from '../kernel/duration.js';
import type { BridgeObserver, FinishedCall } from '../kernel/observer.js';
import type { Logger } from '../log.js';

/**
 * Per-call MCP log messages (`notifications/message`), the same in both eras; each front only decides
 * how the client's level is known (2025: logging/setLevel per session; 2026-07-28: the request's
 * `_meta` logLevel) and where the message goes. They say which agent and how a call went; never a
 * token, a message, an answer or a prompt.
 */
export type ClientLog = (level: LoggingLevel, message: string, details?: Record<string, unknown>) => void;

/** The `logger` field of every message the bridge sends. */
const CLIENT_LOGGER = 'mastra-agents-mcp';

/** The params of one `notifications/message`. */
export const logMessageParams = (level: LoggingLevel, message: string, details: Record<string, unknown> = {}) => ({
  level,
  logger: CLIENT_LOGGER,
  data: { message, ...details },
});

/** A call's start (debug), answer (info), error result (warning), or end without an answer (info: cancelled). */
export async function withCallLog(
  log: ClientLog,
  { label, ...call }: { /** `agent "echo"`, `workflow "greet"` */ label: string; tool: string; [id: string]: string },
  run: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  const startedAt = Date.now();
  const took = () => ({ ...call, durationMs: Date.now() - startedAt });
  log('debug', `calling ${label}`, call);
  try {
    const result = await run();
    const details = took();
    if (result.isError) log('warning', `${label} answered with an error after ${formatDuration(details.durationMs)}`, details);
    else log('info', `${label} answered in ${formatDuration(details.durationMs)}`, details);
    return result;
  } catch (error) {
    const details = took();
    log('info', `call to ${label} ended without an answer after ${formatDuration(details.durationMs)} (cancelled)`, details);
    throw error;
  }
}

const OUTCOME_WORDS: Record<FinishedCall['outcome'], string> = {
  ok: 'answered',
  is_error: 'answered with an error',
  jsonrpc_error: 'failed with a JSON-RPC error',
  cancelled: 'was cancelled',
  timed_out: 'timed out',
  input_required: 'asked the person (input_required)',
};

/**
 * The operator's line (stderr, info): one per tools/call and per task, when it ends. Its fields are
 * the same in text and JSON: tool, era, identity (a hash prefix), task, outcome, error_type,
 * duration_ms, trace. Never the message, answer, arguments, token or instructions.
 */
export function callLogLines(logger: Logger): Pick<BridgeObserver, 'callFinished'> {
  return {
    callFinished(call) {
      const duration = Math.round(call.durationMs);
      const what = `${call.task ? 'task of ' : ''}tools/call ${call.tool}`;
      logger.info(`${what} ${OUTCOME_WORDS[call.outcome]} after ${formatDuration(duration)}`, {
        event: 'tools/call',
        tool: call.tool,
        era: call.era,
        identity: call.identity,
        task: call.task,
        outcome: call.outcome,
        error_type: call.errorType,
        duration_ms: duration,
        trace: call.traceId,
      });
    },
  };
}
