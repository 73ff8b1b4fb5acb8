import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LOG_LEVELS } from './log.js';

/** A mistake in the command line or environment: printed as one line, exit code 1. */
export class ConfigError extends Error {}

/** setTimeout's ceiling (about 24.8 days): a longer delay would fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** A number from a flag or env value; a blank one is an error, where coercion would make it 0. */
const numeric = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? Number.NaN : value), schema);

const port = numeric(
  z.coerce
    .number({ error: 'must be a number from 0 to 65535' })
    .int('must be a whole number from 0 to 65535')
    .min(0, 'must be from 0 to 65535')
    .max(65535, 'must be from 0 to 65535'),
);

const positive = (unit: string, example: string, max = Number.MAX_SAFE_INTEGER) =>
  numeric(
    z.coerce
      .number({ error: `must be a positive number of ${unit}, e.g. ${example}` })
      .int(`must be a whole number of ${unit}, e.g. ${example}`)
      .positive(`must be a positive number of ${unit}, e.g. ${example}`)
      .max(max, `must be at most ${max} ${unit}`),
  );

/** A switch: the bare flag, or its env twin set to 1/true/yes or 0/false/no. */
const onOff = z
  .union([z.boolean(), z.enum(['1', 'true', 'yes', '0', 'false', 'no', ''], { error: 'must be true or false (1 or 0)' })])
  .transform((value) => value === true || value === '1' || value === 'true' || value === 'yes')
  .default(false);

/** "a, b" -> ["a", "b"]; blanks dropped; undefined when nothing is left, so the setting's default applies. */
const commaList = (raw: string): string[] | undefined => {
  const parts = raw.split(',').map((part) => part.trim()).filter(Boolean);
  return parts.length ? parts : undefined;
};

const list = z.string().transform(commaList).optional();
/** 0 turns the limit off. */
const milliseconds = numeric(
  z.coerce
    .number({ error: 'must be a number of milliseconds, 0 for no limit' })
    .int('must be a whole number of milliseconds, 0 for no limit')
    .min(0, 'must be a number of milliseconds, 0 for no limit')
    .max(MAX_TIMEOUT_MS, `must be at most ${MAX_TIMEOUT_MS} milliseconds, or 0 for no limit`),
);

// Credentials in the URL would be printed wherever the URL is (logs, errors), and fetch refuses them anyway.
const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://localhost:4111' })
  .refine((url) => !/^https?:\/\/[^/]*@/.test(url), 'must not contain a user or password: put the token in JWT_TOKEN');

const UNITS = { ms: 1, s: 1000, m: 60_000 } as const;
const MAX_DURATION_MS = 86_400_000;

/** "60", "60s", "500ms", "2m" -> milliseconds; a bare number is seconds. At least 100 ms, or 0 when `zeroMeans` says what 0 does. */
const duration = (zeroMeans?: string) => {
  const valid = zeroMeans ? `0 (${zeroMeans}) or a duration of at least 100ms` : 'a duration of at least 100ms';
  return z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?(ms|s|m)?$/, `must be ${valid}, such as 60, 30s, 500ms or 2m`)
    .transform((text) => {
      const unit = (/(ms|s|m)$/.exec(text)?.[1] ?? 's') as keyof typeof UNITS;
      return Math.round(Number.parseFloat(text) * UNITS[unit]);
    })
    .refine((ms) => (ms === 0 && zeroMeans !== undefined) || ms >= 100, `must be ${valid}`)
    .refine((ms) => ms <= MAX_DURATION_MS, 'must be at most 24 hours (1440m)');
};

const globList = z
  .string()
  .transform(commaList)
  .refine((globs) => globs !== undefined, 'must be a comma-separated list of agent ids, * matching any characters, e.g. weather*,support')
  .optional();

const toolPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_-]{0,32}$/, 'must be at most 32 characters from A-Z a-z 0-9 _ - (tool names allow nothing else)');

/** Each setting with its flag and environment twin; the flag wins. */
const SETTINGS = {
  baseUrl: { env: 'MASTRA_BASE_URL', schema: httpUrl.default('http://localhost:4111') },
  transport: { flag: 'transport', env: 'MCP_TRANSPORT', schema: z.enum(['stdio', 'http'], { error: 'must be stdio or http' }).default('stdio') },
  host: { flag: 'host', env: 'MCP_HOST', schema: z.string().min(1, 'must not be empty').default('127.0.0.1') },
  port: { flag: 'port', env: 'MCP_PORT', schema: port.default(3000) },
  refreshInterval: { flag: 'refresh-interval', env: 'MCP_REFRESH_INTERVAL', schema: duration('turns re-listing off').default(60_000) },
  retryMaxDelay: { flag: 'retry-max-delay', env: 'MCP_RETRY_MAX_DELAY', schema: duration().default(30_000) },
  include: { flag: 'include', env: 'MCP_INCLUDE_AGENTS', schema: globList },
  exclude: { flag: 'exclude', env: 'MCP_EXCLUDE_AGENTS', schema: globList },
  toolPrefix: { flag: 'tool-prefix', env: 'MCP_TOOL_PREFIX', schema: toolPrefix.default('ask_') },
  requireToken: { flag: 'require-token', env: 'MCP_REQUIRE_TOKEN', boolean: true, schema: onOff },
  allowAnonymous: { flag: 'allow-anonymous', env: 'MCP_ALLOW_ANONYMOUS', boolean: true, schema: onOff },
  allowedHosts: { flag: 'allowed-hosts', env: 'MCP_ALLOWED_HOSTS', schema: list },
  allowedOrigins: { flag: 'allowed-origins', env: 'MCP_ALLOWED_ORIGINS', schema: list },
  maxBody: { flag: 'max-body', env: 'MCP_MAX_BODY', schema: positive('bytes', '1048576').default(1_048_576) },
  maxSessions: { flag: 'max-sessions', env: 'MCP_MAX_SESSIONS', schema: positive('sessions', '1000').default(1000) },
  sessionIdleTimeout: { flag: 'session-idle-timeout', env: 'MCP_SESSION_IDLE_TIMEOUT', schema: duration().default(1_800_000) },
  shutdownGrace: { flag: 'shutdown-grace', env: 'MCP_SHUTDOWN_GRACE', schema: duration().default(10_000) },
  callTimeoutMs: { flag: 'call-timeout', env: 'MCP_CALL_TIMEOUT_MS', schema: milliseconds.default(600_000) },
  taskTtlMaxMs: { flag: 'task-ttl-max', env: 'MCP_TASK_TTL_MAX_MS', schema: positive('milliseconds', '3600000', MAX_TIMEOUT_MS).default(3_600_000) },
  maxTasksPerSession: { flag: 'max-tasks-per-session', env: 'MCP_MAX_TASKS_PER_SESSION', schema: positive('tasks', '10').default(10) },
  taskResultsMaxPerSession: { flag: 'task-results-max-per-session', env: 'MCP_TASK_RESULTS_MAX_PER_SESSION', schema: positive('bytes', '67108864').default(67_108_864) },
  taskResultsMax: { flag: 'task-results-max', env: 'MCP_TASK_RESULTS_MAX', schema: positive('bytes', '268435456').default(268_435_456) },
  logLevel: { flag: 'log-level', env: 'LOG_LEVEL', schema: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info') },
} as const;

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> };

export const HELP = `mastra-agents-mcp: every agent of a Mastra server as an MCP tool.

Usage: mastra-agents-mcp [options]

Options (each has an environment twin; the flag wins):
  --transport stdio|http   MCP_TRANSPORT   how clients connect (default: stdio)
  --host ADDRESS           MCP_HOST        HTTP bind address (default: 127.0.0.1)
  --port N                 MCP_PORT        HTTP port, 0 picks a free one (default: 3000)
  --include IDS            MCP_INCLUDE_AGENTS    offer only these agents: comma-separated ids,
                                                 * matches any characters (default: all)
  --exclude IDS            MCP_EXCLUDE_AGENTS    never offer these agents (same form; wins)
  --tool-prefix PREFIX     MCP_TOOL_PREFIX       tool name prefix, up to 32 of A-Za-z0-9_-
                                                 (default: ask_)
  --refresh-interval TIME  MCP_REFRESH_INTERVAL  re-list the agents this often: 60 (seconds),
                                                 30s, 500ms, 2m; 0 turns it off (default: 60s)
  --retry-max-delay TIME   MCP_RETRY_MAX_DELAY   while Mastra cannot be listed, retry after
                                                 1s, 2s, 4s … up to this (default: 30s)
  --call-timeout MS        MCP_CALL_TIMEOUT_MS  stop an agent run after MS milliseconds, 0 for no limit (default: 600000, 10 minutes)
  --task-ttl-max MS          MCP_TASK_TTL_MAX_MS        longest TTL a task may have, in ms, and the TTL of one
                                                        that asks for none (default: 3600000, one hour)
  --max-tasks-per-session N  MCP_MAX_TASKS_PER_SESSION  agent tasks one session may run at once (default: 10)
  --task-results-max-per-session BYTES  MCP_TASK_RESULTS_MAX_PER_SESSION  finished tasks' results one session
                                        keeps, as JSON; the oldest are dropped first (default: 67108864, 64 MiB)
  --task-results-max BYTES              MCP_TASK_RESULTS_MAX  the same for all sessions together
                                        (default: 268435456, 256 MiB)
  --log-level LEVEL        LOG_LEVEL       ${LOG_LEVELS.join('|')} (default: info); logs go to stderr
  -h, --help                               print this help and exit
  -v, --version                            print the version and exit

HTTP options (with --transport http):
  --require-token          MCP_REQUIRE_TOKEN        refuse sessions without "Authorization: Bearer <Mastra token>" (401)
  --allow-anonymous        MCP_ALLOW_ANONYMOUS      on a non-loopback --host, let sessions without a token use JWT_TOKEN
  --allowed-hosts LIST     MCP_ALLOWED_HOSTS        Host header values accepted, comma-separated, e.g. mcp.example.com
                                                    (default: localhost, 127.0.0.1, [::1] and the bind address)
  --allowed-origins LIST   MCP_ALLOWED_ORIGINS      Origin values accepted (proxies, server-side clients; no CORS),
                                                    e.g. https://app.example.com
                                                    (default: only the bridge's own origin)
  --max-body BYTES         MCP_MAX_BODY             largest request body (default: 1048576); larger gets 413
  --max-sessions N         MCP_MAX_SESSIONS         open sessions at most (default: 1000); more gets 503
  --session-idle-timeout TIME MCP_SESSION_IDLE_TIMEOUT  close a session idle this long (default: 30m)
  --shutdown-grace TIME    MCP_SHUTDOWN_GRACE       time in-flight calls get to finish on SIGINT/SIGTERM (default: 10s)

Environment:
  MASTRA_BASE_URL   the Mastra server (default: http://localhost:4111)
  JWT_TOKEN         service-level Mastra token, sent as "Authorization: Bearer …"
`;

/** The value as the error line shows it: a URL's user and password are never printed. */
const withoutCredentials = (raw: unknown) => (typeof raw === 'string' ? raw.replace(/^(\w+:\/\/)[^/@]*@/, '$1***@') : raw);

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: Config };

/** Reads argv and env (and nothing else) into a validated config; every problem is one line. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const flags = Object.values(SETTINGS).flatMap((s) => ('flag' in s && !('boolean' in s) ? [s.flag] : []));
  const switches = Object.values(SETTINGS).flatMap((s) => ('boolean' in s ? [s.flag] : []));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(flags.map((flag) => [flag, { type: 'string' as const }])),
        ...Object.fromEntries(switches.map((flag) => [flag, { type: 'boolean' as const }])),
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const fromFlag = 'flag' in setting ? values[setting.flag] : undefined;
    const raw = fromFlag ?? (env[setting.env] || undefined);
    const result = (setting.schema as z.ZodType).safeParse(raw);
    const name = fromFlag !== undefined && 'flag' in setting ? `--${setting.flag}` : setting.env;
    if (result.success) config[key] = result.data;
    else problems.push(`${name}=${JSON.stringify(withoutCredentials(raw))} ${result.error.issues[0]?.message ?? 'is invalid'}`);
  }
  if (problems.length) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return { kind: 'run', config: config as Config };
}
