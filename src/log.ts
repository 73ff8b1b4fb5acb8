/**
 * Every log line goes to stderr: in stdio mode stdout is the MCP channel, and a stray
 * byte there breaks the client. This is the one file that writes to the console.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The one shape of every line the bridge writes to stderr, from the logger or not: `mastra-agents-mcp: warn: …`. */
export const formatLogLine = (level: Exclude<LogLevel, 'silent'>, message: string) => `mastra-agents-mcp: ${level}: ${message}\n`;

export function createLogger(level: LogLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (name: Exclude<LogLevel, 'silent'>) => (message: string) => {
    if (LOG_LEVELS.indexOf(name) >= threshold) write(formatLogLine(name, message));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent');
