import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { LoggingLevelSchema, SetLevelRequestSchema, type CallToolResult, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { formatDuration } from '../../duration.js';

/** Sends one log message to this session's client, if its level is at or above the one the client asked for. */
export type ClientLog = (level: LoggingLevel, message: string, details?: Record<string, unknown>) => void;

const severity = (level: LoggingLevel) => LoggingLevelSchema.options.indexOf(level);

/**
 * MCP logging for one session: the client picks a level with logging/setLevel. Until it does,
 * nothing is sent (the SDK's own handler would send every level), so clients that never asked
 * pay nothing. Messages say which agent and how a call went; never a token, a message or an answer.
 */
export function clientLogOf(server: Server): ClientLog {
  let threshold: number | undefined;
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    threshold = severity(request.params.level);
    return {};
  });
  return (level, message, details = {}) => {
    if (threshold === undefined || severity(level) < threshold) return;
    server.sendLoggingMessage({ level, logger: 'mastra-agents-mcp', data: { message, ...details } }).catch(() => {});
  };
}

/** A call's start (debug), answer (info), error result (warning), or end without an answer (info: cancelled). */
export async function withCallLog(log: ClientLog, call: { agentId: string; tool: string }, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  const startedAt = Date.now();
  const took = () => ({ ...call, durationMs: Date.now() - startedAt });
  log('debug', `calling agent "${call.agentId}"`, call);
  try {
    const result = await run();
    const details = took();
    if (result.isError) log('warning', `agent "${call.agentId}" answered with an error after ${formatDuration(details.durationMs)}`, details);
    else log('info', `agent "${call.agentId}" answered in ${formatDuration(details.durationMs)}`, details);
    return result;
  } catch (error) {
    const details = took();
    log('info', `call to agent "${call.agentId}" ended without an answer after ${formatDuration(details.durationMs)} (cancelled)`, details);
    throw error;
  }
}
