import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { LoggingLevelSchema, SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import { logMessageParams, type ClientLog } from '../../calls/call-log.js';

const severity = (level: LoggingLevel) => LoggingLevelSchema.options.indexOf(level);

/**
 * MCP logging for one 2025 session: the client picks a level with logging/setLevel. Until it does,
 * nothing is sent (the SDK's own handler would send every level), so clients that never asked
 * pay nothing. The messages themselves are the shared ones of calls/call-log.ts.
 */
export function clientLogOf(server: Server): ClientLog {
  let threshold: number | undefined;
  server.setRequestHandler(SetLevelRequestSchema, (request) => {
    threshold = severity(request.params.level);
    return {};
  });
  return (level, message, details) => {
    if (threshold === undefined || severity(level) < threshold) return;
    server.sendLoggingMessage(logMessageParams(level, message, details)).catch(() => {});
  };
}
