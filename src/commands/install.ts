import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SETTINGS } from '../config.js';
import { formatLogLine } from '../log.js';
import type { Output } from '../main.js';
import { NODE_NEEDED, nodeIsRecentEnough } from '../node-version.js';
import { CLIENT_FORMATS, CLIENTS, type ClientName, type Place, type StdioEntry } from './clients.js';
import { ConfigFileError, readConfigFile, writeConfigFile } from './config-file.js';

export const DEFAULT_NAME = 'mastra-agents';
const TOKEN_ENVS: readonly string[] = [SETTINGS.serviceToken.env, SETTINGS.serviceToken.otherEnv];
const USAGE = `Usage: mastra-agents-mcp install <${CLIENTS.join('|')}> [--config FILE] [--name NAME] [--mastra-url URL] [--dry-run]

Adds this bridge to an MCP client's configuration, keeping everything else in it (and a copy of the old file):
the absolute paths of this Node.js and of this bin, so it runs from a clone, a tarball or a bundle, and in
"env" the Mastra URL (--mastra-url, else ${SETTINGS.baseUrl.env}, else http://localhost:4111) and the token
(${SETTINGS.serviceToken.env} from the environment, never a flag, which would show in ps and shell history).

  --config FILE   write FILE instead of the client's own configuration file
  --name NAME     the server's name in that file (default ${DEFAULT_NAME})
  --dry-run       print what would be written, write nothing
`;

/** `mastra-agents-mcp install <client>`: merges this bridge's entry into the client's configuration. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv, output: Output): Promise<number> {
  const fail = (message: string) => {
    output.stderr.write(formatLogLine('error', message));
    return 1;
  };
  let values: { config?: string; name?: string; 'mastra-url'?: string; 'dry-run'?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        name: { type: 'string' },
        'mastra-url': { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    return fail(`install: ${(error as Error).message.split('\n')[0]} (see install --help)`);
  }
  if (values.help) {
    output.stdout.write(USAGE);
    return 0;
  }
  const [client, ...extra] = positionals;
  if (!client || extra.length || !(CLIENTS as readonly string[]).includes(client))
    return fail(`install needs one client: ${CLIENTS.join(', ')}${client ? ` (not ${[client, ...extra].join(' ')})` : ''} (see install --help)`);
  const name = values.name ?? DEFAULT_NAME;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
    return fail(`--name must be 1 to 64 characters from A-Z a-z 0-9 _ - (clients build tool names from it), not ${JSON.stringify(name)}`);
  const url = SETTINGS.baseUrl.schema.safeParse(values['mastra-url'] ?? (env[SETTINGS.baseUrl.env] || undefined));
  if (!url.success)
    return fail(`${values['mastra-url'] === undefined ? SETTINGS.baseUrl.env : '--mastra-url'} ${url.error.issues[0]?.message ?? 'is invalid'}`);
  if (!nodeIsRecentEnough(process.versions.node)) return fail(`install needs Node.js ${NODE_NEEDED} or later to write into the configuration`);

  const token = TOKEN_ENVS.map((key) => env[key]?.trim()).find(Boolean);
  const format = CLIENT_FORMATS[client as ClientName];
  const server: StdioEntry = {
    // Absolute paths: clients start servers with a short PATH (Claude Desktop on macOS) or an older Node first on it.
    command: process.execPath,
    args: [realpathSync(fileURLToPath(new URL('../cli.js', import.meta.url)))],
    env: { [SETTINGS.baseUrl.env]: url.data as string, ...(token ? { [SETTINGS.serviceToken.env]: token.replace(/^Bearer\s+/i, '') } : {}) },
  };
  const path = values.config ? resolve(values.config) : format.path(placeOf(env));
  try {
    const file = await readConfigFile(path);
    const servers = file.json[format.serversKey] ?? {};
    if (typeof servers !== 'object' || servers === null || Array.isArray(servers))
      return fail(`${path}: "${format.serversKey}" is not an object; it is left as it is`);
    const existing = (servers as Record<string, unknown>)[name];
    if (existing !== undefined && !isThisBridge(existing, server))
      return fail(`${path} already has a server "${name}" that runs ${describe(existing)}, not this bridge: choose another --name, or remove that entry first`);
    server.env = { ...otherEnv(existing), ...server.env };
    const entry = format.entry(server);
    const shown = JSON.stringify(masked(entry), null, 2);
    if (values['dry-run']) {
      output.stdout.write(`Would add "${name}" to ${path} (--dry-run: nothing written):\n${shown}\n`);
      return 0;
    }
    const backup = await writeConfigFile(file, { ...file.json, [format.serversKey]: { ...(servers as object), [name]: entry } });
    output.stdout.write(
      [
        `Added "${name}" to ${format.title}'s configuration ${path}${backup ? ` (the previous file is kept as ${backup})` : ''}:`,
        shown,
        ...(token
          ? []
          : [
              `No ${SETTINGS.serviceToken.env} in the environment, so the entry has none: right for a Mastra server without auth; otherwise set it and run install again.`,
            ]),
        ...(/[/\\]_npx[/\\]/.test(server.args[0] ?? '')
          ? ['This bin lives in npx’s cache, which npm may clean: install the package (npm install -g mastra-agents-mcp) and run install from there.']
          : []),
        `Next: ${format.next}`,
        '',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (error instanceof ConfigFileError) return fail(error.message);
    throw error;
  }
}

function placeOf(env: NodeJS.ProcessEnv): Place {
  return { platform: process.platform, home: homedir(), env };
}

/** An entry this bridge wrote before (from this or another copy of it), which install may replace. */
function isThisBridge(entry: unknown, server: StdioEntry): boolean {
  if (typeof entry !== 'object' || entry === null) return false;
  const { command, args } = entry as { command?: unknown; args?: unknown };
  const line = [command, ...(Array.isArray(args) ? args : [])].map(String);
  return line.join('\u0000') === [server.command, ...server.args].join('\u0000') || line.some((part) => part.includes('mastra-agents-mcp'));
}

/** The environment an earlier entry of this bridge had besides the URL and the token (filters, log level…): kept. */
function otherEnv(entry: unknown): Record<string, string> {
  const env = (entry as { env?: unknown } | undefined)?.env;
  if (typeof env !== 'object' || env === null) return {};
  return Object.fromEntries(
    Object.entries(env).filter(([key, value]) => typeof value === 'string' && key !== SETTINGS.baseUrl.env && !TOKEN_ENVS.includes(key)),
  );
}

/** What another program's entry runs, for the refusal (its env, which may hold secrets, is not shown). */
function describe(entry: unknown): string {
  const { command, args, url } = (typeof entry === 'object' && entry !== null ? entry : {}) as { command?: unknown; args?: unknown; url?: unknown };
  if (typeof url === 'string') return `the remote server ${url}`;
  const line = [command, ...(Array.isArray(args) ? args : [])].filter((part) => part !== undefined).map(String);
  return line.length ? `\`${line.join(' ')}\`` : 'something else';
}

/** The entry as printed: a token is never shown. */
function masked(entry: Record<string, unknown>): Record<string, unknown> {
  const env = { ...(entry.env as Record<string, string>) };
  for (const key of TOKEN_ENVS) if (env[key] !== undefined) env[key] = '<hidden>';
  return { ...entry, env };
}
