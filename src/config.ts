import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LOG_LEVELS } from './log.js';

/** A mistake in the command line or environment: printed as one line, exit code 1. */
export class ConfigError extends Error {}

const port = z.coerce
  .number({ error: 'must be a number from 0 to 65535' })
  .int('must be a whole number from 0 to 65535')
  .min(0, 'must be from 0 to 65535')
  .max(65535, 'must be from 0 to 65535');

const positiveInt = (example: string) =>
  z.coerce
    .number({ error: `must be a whole number of at least 1, e.g. ${example}` })
    .int(`must be a whole number of at least 1, e.g. ${example}`)
    .min(1, `must be a whole number of at least 1, e.g. ${example}`);

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://localhost:4111' });

/** Each setting with its flag and environment twin; the flag wins. */
const SETTINGS = {
  baseUrl: { env: 'MASTRA_BASE_URL', schema: httpUrl.default('http://localhost:4111') },
  transport: { flag: 'transport', env: 'MCP_TRANSPORT', schema: z.enum(['stdio', 'http'], { error: 'must be stdio or http' }).default('stdio') },
  host: { flag: 'host', env: 'MCP_HOST', schema: z.string().min(1, 'must not be empty').default('127.0.0.1') },
  port: { flag: 'port', env: 'MCP_PORT', schema: port.default(3000) },
  taskTtlMaxMs: { flag: 'task-ttl-max', env: 'MCP_TASK_TTL_MAX_MS', schema: positiveInt('3600000').default(3_600_000) },
  maxTasksPerSession: { flag: 'max-tasks-per-session', env: 'MCP_MAX_TASKS_PER_SESSION', schema: positiveInt('10').default(10) },
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
  --task-ttl-max MS          MCP_TASK_TTL_MAX_MS        longest TTL a task may have, in ms, and the TTL of one
                                                        that asks for none (default: 3600000, one hour)
  --max-tasks-per-session N  MCP_MAX_TASKS_PER_SESSION  agent tasks one session may run at once (default: 10)
  --log-level LEVEL        LOG_LEVEL       ${LOG_LEVELS.join('|')} (default: info); logs go to stderr
  -h, --help                               print this help and exit
  -v, --version                            print the version and exit

Environment:
  MASTRA_BASE_URL   the Mastra server (default: http://localhost:4111)
  JWT_TOKEN         service-level Mastra token, sent as "Authorization: Bearer …"
`;

export type Command = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: Config };

/** Reads argv and env (and nothing else) into a validated config; every problem is one line. */
export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const flags = Object.values(SETTINGS).flatMap((s) => ('flag' in s ? [s.flag] : []));
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(flags.map((flag) => [flag, { type: 'string' as const }])),
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
    else problems.push(`${name}=${JSON.stringify(raw)} ${result.error.issues[0]?.message ?? 'is invalid'}`);
  }
  if (problems.length) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  return { kind: 'run', config: config as Config };
}
