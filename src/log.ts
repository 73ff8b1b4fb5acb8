/**
 * Every log line goes to stderr: in stdio mode stdout is the MCP channel, and a stray
 * byte there breaks the client. This is the one file that writes to the console.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `text`: one readable line; `json`: one JSON object per line, for log collectors (`--log-format`). */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Facts a line carries besides its message: in text as ` key=value`, in JSON as fields of their own. Never a secret. */
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * The one shape of every line the bridge writes to stderr, from the logger or not: `mastra-agents-mcp: warn: …`.
 * A message is folded into that one line (an upstream's text may hold line breaks): a log reader
 * takes each line as one entry, and a second line without the prefix would read as nobody's.
 */
export const formatLogLine = (level: Exclude<LogLevel, 'silent'>, message: string, fields: LogFields = {}, format: LogFormat = 'text') => {
  const text = message.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim();
  // Stable names a collector can index: time, level, msg, then the line's own fields.
  if (format === 'json') return `${JSON.stringify({ time: new Date().toISOString(), level, msg: text, ...fields })}\n`;
  const extra = Object.entries(fields).flatMap(([key, value]) => (value === undefined ? [] : [` ${key}=${value}`]));
  return `mastra-agents-mcp: ${level}: ${text}${extra.join('')}\n`;
};

export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
  format: LogFormat = 'text',
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (name: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(name) >= threshold) write(formatLogLine(name, message, fields, format));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent');

/** The console methods that print; `Console`, `context` and `createTask` make objects and are left alone. */
const PRINTING_METHODS = [
  'log',
  'info',
  'debug',
  'warn',
  'error',
  'trace',
  'dir',
  'dirxml',
  'table',
  'assert',
  'count',
  'timeLog',
  'timeEnd',
  'group',
  'groupCollapsed',
  'clear',
];

/**
 * Takes the console away from every library: client-js, for one, prints a failed stream's provider
 * error (its URL, body, headers, sometimes the prompt) with `console.error`, behind the log level and,
 * over stdio, onto a channel that carries only MCP. What was printed is dropped unread, since any of
 * it may hold a prompt or a token; the logger only hears, at debug level, that a method was used.
 * Returns a function that gives the console back.
 */
export function guardConsole(logger: Logger): () => void {
  const originals = new Map<string, unknown>();
  const heard = new Set<string>();
  const target = console as unknown as Record<string, unknown>;
  for (const name of PRINTING_METHODS) {
    originals.set(name, target[name]);
    target[name] = (...args: unknown[]) => {
      if (name === 'assert' && args[0]) return;
      if (heard.has(name)) return;
      heard.add(name);
      logger.debug(
        `a library wrote to console.${name}; what it printed was dropped unread (it may hold provider bodies or prompts), and so is the rest it prints there`,
      );
    };
  }
  return () => {
    for (const [name, method] of originals) target[name] = method;
  };
}
