import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_FORMATS, type ClientName } from '../src/commands/clients.js';
import { nodeIsRecentEnough } from '../src/node-version.js';
import { BIN } from './support/bin.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';

const SECRET = 'install-test-secret';
const TOKEN = signJwt(SECRET, { sub: 'installer' });
const temporary: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
};

let stack: Stack;
beforeAll(async () => {
  // Mastra with JWT auth: the listing works only if the token really reached the bridge through the entry's env.
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(async () => {
  await stack?.close();
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** `mastra-agents-mcp install …` as a person runs it: HOME is a fresh folder, the URL and token in the environment. */
function install(args: string[], home: string, env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, [BIN, 'install', ...args], {
    cwd: home,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: home, MASTRA_BASE_URL: stack.mastra.url, JWT_TOKEN: TOKEN, ...env },
  });
  expect(run.stdout + run.stderr).not.toContain(TOKEN);
  return run;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
const backupsOf = (path: string) => readdirSync(dirname(path)).filter((name) => name.startsWith(`${path.split('/').pop()}.`) && name.endsWith('.bak'));

/** Starts the entry exactly as a client would, from another folder, with a PATH whose `node` is not the one to use. */
async function toolsOf(entry: Record<string, unknown>): Promise<string[]> {
  const transport = new StdioClientTransport({
    command: entry.command as string,
    args: entry.args as string[],
    env: { ...(entry.env as Record<string, string>), PATH: '/usr/bin:/bin' },
    cwd: tempDir('install-elsewhere-'),
    stderr: 'pipe',
  });
  const client = new Client({ name: 'install-test', version: '1.0.0' });
  await client.connect(transport);
  try {
    return (await client.listTools()).tools.map((tool) => tool.name);
  } finally {
    await client.close();
  }
}

// Where each client's file is on Linux (this test's platform), and how its entry looks, as each client documents it.
const LINUX: { client: ClientName; path: string; key: 'mcpServers' | 'servers'; type?: 'stdio' }[] = [
  { client: 'claude-desktop', path: '.config/Claude/claude_desktop_config.json', key: 'mcpServers' },
  { client: 'claude-code', path: '.claude.json', key: 'mcpServers', type: 'stdio' },
  { client: 'cursor', path: '.cursor/mcp.json', key: 'mcpServers' },
  { client: 'vscode', path: '.config/Code/User/mcp.json', key: 'servers', type: 'stdio' },
];

describe.skipIf(process.platform === 'win32')('mastra-agents-mcp install <client>', () => {
  for (const { client, path, key, type } of LINUX) {
    it(`${client}: merges one entry into ${path}, keeps the rest and a backup, and the entry lists the agents from any folder`, async () => {
      const home = tempDir('install-home-');
      const file = join(home, path);
      mkdirSync(dirname(file), { recursive: true });
      const before = `${JSON.stringify({ theme: 'dark', projects: { '/p': { mcpServers: {} } }, [key]: { other: { command: 'python3', args: ['other.py'] } } }, null, 4)}\n`;
      writeFileSync(file, before);

      const run = install([client], home);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('"JWT_TOKEN": "<hidden>"');
      expect(run.stdout).toMatch(/\nNext: .*(restart|Restart|Quit|Reload|new Claude Code session)/);

      const written = readJson(file);
      expect(written.theme).toBe('dark');
      expect(written.projects).toEqual({ '/p': { mcpServers: {} } });
      expect(written[key]!.other).toEqual({ command: 'python3', args: ['other.py'] });
      const entry = written[key]!['mastra-agents']!;
      expect(entry).toEqual({
        ...(type ? { type } : {}),
        command: expect.stringMatching(/^\//),
        args: [realpathSync(BIN)],
        env: { MASTRA_BASE_URL: stack.mastra.url, JWT_TOKEN: TOKEN },
      });
      const version = spawnSync(entry.command as string, ['--version'], { encoding: 'utf8' }).stdout.trim();
      expect(nodeIsRecentEnough(version)).toBe(true);
      expect(readFileSync(file, 'utf8')).toMatch(/^\{\n {4}"theme"/);
      const [backup] = backupsOf(file);
      expect(readFileSync(join(dirname(file), backup!), 'utf8')).toBe(before);

      const tools = await toolsOf(entry);
      expect(tools).toHaveLength(10);
      expect(tools).toContain('ask_calculator');
    });
  }

  it('creates a missing file (and its folder) readable by its owner only, since it holds the token', () => {
    const home = tempDir('install-home-');
    const run = install(['cursor'], home);
    expect(run.status).toBe(0);
    const file = join(home, '.cursor/mcp.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(backupsOf(file)).toEqual([]);
    expect(Object.keys(readJson(file).mcpServers!)).toEqual(['mastra-agents']);
  });

  it('replaces its own earlier entry (another copy of the bridge), keeping the settings it had besides the URL and token', () => {
    const home = tempDir('install-home-');
    const file = join(home, '.claude.json');
    const old = {
      type: 'stdio',
      command: 'npx',
      args: ['-y', 'mastra-agents-mcp'],
      env: { MASTRA_BASE_URL: 'http://old:4111', JWT_TOKEN: 'old', MCP_EXCLUDE_AGENTS: 'notes' },
    };
    writeFileSync(file, JSON.stringify({ mcpServers: { 'mastra-agents': old } }));
    const run = install(['claude-code'], home, { JWT_TOKEN: '' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('No JWT_TOKEN in the environment, so the entry has none');
    expect(readJson(file).mcpServers!['mastra-agents']!.env).toEqual({ MCP_EXCLUDE_AGENTS: 'notes', MASTRA_BASE_URL: stack.mastra.url });
    // Run again: the same entry, written again.
    expect(install(['claude-code'], home).status).toBe(0);
    expect(readJson(file).mcpServers!['mastra-agents']!.env).toEqual({ MCP_EXCLUDE_AGENTS: 'notes', MASTRA_BASE_URL: stack.mastra.url, JWT_TOKEN: TOKEN });
  });

  it("refuses to overwrite another program's entry of the same name, and changes nothing", () => {
    const home = tempDir('install-home-');
    const file = join(home, '.cursor/mcp.json');
    mkdirSync(dirname(file), { recursive: true });
    const before = JSON.stringify({ mcpServers: { 'mastra-agents': { command: 'python3', args: ['mine.py'], env: { KEY: 'secret-of-another' } } } });
    writeFileSync(file, before);
    const run = install(['cursor'], home);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `mastra-agents-mcp: error: ${file} already has a server "mastra-agents" that runs \`python3 mine.py\`, not this bridge: choose another --name, or remove that entry first\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(backupsOf(file)).toEqual([]);
    // Under another name it goes in beside it.
    expect(install(['cursor', '--name', 'mastra'], home).status).toBe(0);
    expect(Object.keys(readJson(file).mcpServers!)).toEqual(['mastra-agents', 'mastra']);
  });

  it('--dry-run prints the entry, token hidden, and writes nothing; --config writes the file given', () => {
    const home = tempDir('install-home-');
    const dry = install(['vscode', '--dry-run'], home);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain(`Would add "mastra-agents" to ${join(home, '.config/Code/User/mcp.json')} (--dry-run: nothing written)`);
    expect(dry.stdout).toContain('"JWT_TOKEN": "<hidden>"');
    expect(existsSync(join(home, '.config'))).toBe(false);

    const run = install(['vscode', '--config', 'project/.vscode/mcp.json', '--mastra-url', 'http://localhost:4111/api'], home);
    expect(run.status).toBe(0);
    const entry = readJson(join(home, 'project/.vscode/mcp.json')).servers!['mastra-agents']!;
    expect(entry.type).toBe('stdio');
    expect(entry.env).toEqual({ MASTRA_BASE_URL: 'http://localhost:4111', JWT_TOKEN: TOKEN });
  });

  it('leaves a file it cannot read back whole (comments) as it is, and says why', () => {
    const home = tempDir('install-home-');
    const file = join(home, 'mcp.json');
    const before = '{\n  // my servers\n  "servers": {}\n}\n';
    writeFileSync(file, before);
    const run = install(['vscode', '--config', file], home);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^mastra-agents-mcp: error: ${file} is not plain JSON \\(.*\\); it is left as it is: add the entry below by hand\\n$`),
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('says what is wrong with its arguments', () => {
    const home = tempDir('install-home-');
    expect(install(['notepad'], home).stderr).toBe(
      'mastra-agents-mcp: error: install needs one client: claude-desktop, claude-code, cursor, vscode (not notepad) (see install --help)\n',
    );
    expect(install(['cursor', '--mastra-url', 'localhost:4111'], home).stderr).toBe(
      'mastra-agents-mcp: error: --mastra-url must be an http:// or https:// URL, e.g. http://localhost:4111\n',
    );
    expect(install(['cursor', '--name', 'a b'], home).status).toBe(1);
    expect(install(['cursor', '--token', 'x'], home).stderr).toContain("Unknown option '--token'");
    expect(readdirSync(home)).toEqual([]);
  });
});

describe('where each client keeps its configuration', () => {
  const place = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv = {}) => ({ platform, home: '/home/ann', env });
  it('Claude Desktop and VS Code: the app data folder of each system; Claude Code and Cursor: the home folder', () => {
    const paths = (p: ReturnType<typeof place>) => Object.fromEntries(Object.entries(CLIENT_FORMATS).map(([name, format]) => [name, format.path(p)]));
    expect(paths(place('darwin'))).toEqual({
      'claude-desktop': '/home/ann/Library/Application Support/Claude/claude_desktop_config.json',
      'claude-code': '/home/ann/.claude.json',
      cursor: '/home/ann/.cursor/mcp.json',
      vscode: '/home/ann/Library/Application Support/Code/User/mcp.json',
    });
    expect(paths(place('linux', { XDG_CONFIG_HOME: '/cfg' }))['claude-desktop']).toBe('/cfg/Claude/claude_desktop_config.json');
    expect(paths(place('linux'))).toMatchObject({ vscode: '/home/ann/.config/Code/User/mcp.json' });
    const windows = paths(place('win32', { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }));
    expect(windows['claude-desktop']).toContain('Claude');
    expect(windows['claude-desktop']!.startsWith('C:\\Users\\ann\\AppData\\Roaming')).toBe(true);
    expect(windows.vscode!.startsWith('C:\\Users\\ann\\AppData\\Roaming')).toBe(true);
  });
});
