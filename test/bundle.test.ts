import { getMcpConfigForManifest } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signJwt, startStack, type Stack } from './support/mastra.js';

const ROOT = new URL('..', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const MCPB = join(ROOT, 'node_modules/@anthropic-ai/mcpb/dist/cli/cli.js');
const run = promisify(execFile);
const SECRET = 'bundle-test-secret';
const TOKEN = signJwt(SECRET, { sub: 'desktop-user' });

const work = mkdtempSync(join(tmpdir(), 'bundle-test-'));
const unpacked = join(work, 'unpacked');
let bundle: string;
let stack: Stack;

// Built once for the file (npm install of the production dependencies, then mcpb's zip): most of its time.
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  const { stdout } = await run(process.execPath, [TSX, join(ROOT, 'scripts/bundle.ts'), '--out', join(work, 'out')], { cwd: ROOT, maxBuffer: 2 ** 26 });
  bundle = stdout.trim().split('\n').at(-1)!;
  await run(process.execPath, [MCPB, 'unpack', bundle, unpacked]);
}, 180_000);
afterAll(async () => {
  await stack?.close();
  rmSync(work, { recursive: true, force: true });
});

const manifest = () => JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; engines: { node: string } };

/** What Claude Desktop runs for the bundle: mcpb's own substitution of ${__dirname} and ${user_config.*}, defaults first. */
const launchConfig = (userConfig: Record<string, string>) =>
  getMcpConfigForManifest({ manifest: manifest(), extensionPath: unpacked, systemDirs: { HOME: work }, userConfig, pathSeparator: '/' });

describe('npm run bundle', () => {
  it('prints the path of the bundle last, a file under 25 MB named after the package and its version', () => {
    expect(bundle).toBe(join(work, 'out', `${pkg.name}-${pkg.version}.mcpb`));
    expect(statSync(bundle).size).toBeLessThan(25 * 2 ** 20);
  });

  it('has a manifest `mcpb validate` accepts: a node server, dynamic tools, the Node it needs, a sensitive token', () => {
    const validate = spawnSync(process.execPath, [MCPB, 'validate', join(unpacked, 'manifest.json')], { encoding: 'utf8' });
    expect(validate.stdout).toContain('Manifest schema validation passes!');
    expect(validate.status).toBe(0);
    const { server, user_config, compatibility, tools_generated, version, privacy_policies, support } = manifest();
    expect(server).toMatchObject({ type: 'node', entry_point: 'dist/cli.js', mcp_config: { command: 'node', args: [`\${__dirname}/dist/cli.js`] } });
    expect(tools_generated).toBe(true);
    expect(version).toBe(pkg.version);
    expect(compatibility.runtimes.node).toBe(pkg.engines.node);
    expect(user_config.mastra_url.default).toBe('http://localhost:4111');
    expect(user_config.mastra_token.sensitive).toBe(true);
    expect(privacy_policies).toHaveLength(1);
    expect(support).toMatch(/^https:\/\//);
  });

  it('carries the built bin and the production dependencies only', () => {
    expect(existsSync(join(unpacked, 'dist/cli.js'))).toBe(true);
    for (const present of ['@mastra/client-js', '@modelcontextprotocol/sdk', 'zod']) expect(existsSync(join(unpacked, 'node_modules', present))).toBe(true);
    for (const absent of ['vitest', 'typescript', '@mastra/hono', '@modelcontextprotocol/inspector', '@anthropic-ai/mcpb', 'tsx'])
      expect(existsSync(join(unpacked, 'node_modules', absent))).toBe(false);
    expect(existsSync(join(unpacked, 'src'))).toBe(false);
  });

  it('launched as its manifest says, with the settings filled in as Claude Desktop fills them, lists the agents', async () => {
    const config = (await launchConfig({ mastra_url: stack.mastra.url, mastra_token: TOKEN, exclude: 'notes,whoami' }))!;
    expect(config.args).toEqual([join(unpacked, 'dist/cli.js')]);
    // Claude Desktop runs "node" with its own built-in Node.js; here the Node running the tests (22) plays it.
    expect(config.command).toBe('node');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: config.args,
      env: { ...config.env, PATH: '/usr/bin:/bin' },
      cwd: work,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'bundle-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('ask_calculator');
      expect(names).not.toContain('ask_notes');
      expect(names).toHaveLength(8);
    } finally {
      await client.close();
    }
  });

  it('a setting left empty reaches the bridge as empty, never as its user_config placeholder', async () => {
    const config = (await launchConfig({}))!;
    expect(config.env).toEqual({ MASTRA_BASE_URL: 'http://localhost:4111', JWT_TOKEN: '', MCP_INCLUDE_AGENTS: '', MCP_EXCLUDE_AGENTS: '' });
  });
});
