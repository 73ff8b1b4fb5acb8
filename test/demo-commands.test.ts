import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './support/waiting.js';

const run = promisify(execFile);
const TSX = new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
const DEMO = new URL('./fixture/demo.ts', import.meta.url).pathname;
const elsewhere = mkdtempSync(join(tmpdir(), 'demo-elsewhere-'));
let demo: ChildProcess;
let printed = '';

beforeAll(async () => {
  demo = spawn(process.execPath, [TSX, DEMO], { env: { PATH: process.env.PATH ?? '', DEMO_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  demo.stdout!.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  await waitFor('the demo to print its commands', () => printed.includes('Press Ctrl+C'), 30_000);
});
afterAll(() => {
  demo?.kill('SIGTERM');
  rmSync(elsewhere, { recursive: true, force: true });
});

/** The command printed on the line after `heading`, run by a shell in another folder whose PATH finds the system's older Node first. */
async function runPrinted(heading: string, env: Record<string, string> = {}) {
  const command = printed.split('\n')[printed.split('\n').findIndex((line) => line.startsWith(heading)) + 1]!.trim();
  return run('/bin/sh', ['-c', command], { cwd: elsewhere, env: { PATH: '/usr/bin:/bin', HOME: elsewhere, ...env } });
}

describe('the commands npm run demo prints', () => {
  it('list the agents with the Inspector from any folder, whatever node and npx are on PATH there', async () => {
    const { stdout } = await runPrinted('List its agents as MCP tools');
    const names = (JSON.parse(stdout) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    expect(names).toContain('ask_calculator');
    expect(names).toContain('run_greet');
  });

  it('call an agent the same way', async () => {
    const { stdout } = await runPrinted('Call one:');
    expect((JSON.parse(stdout) as { content: { text: string }[] }).content[0]!.text).toBe('The tool said {"sum":5}.');
  });

  it('install the bridge into Claude Desktop, pointed at the demo', async () => {
    const { stdout } = await runPrinted('Add it to Claude Desktop');
    expect(stdout).toContain('Added "mastra-agents"');
    const config = JSON.parse(readFileSync(join(elsewhere, '.config/Claude/claude_desktop_config.json'), 'utf8'));
    const url = /MASTRA_BASE_URL=(\S+)/.exec(printed)![1];
    expect(config.mcpServers['mastra-agents'].env).toEqual({ MASTRA_BASE_URL: url });
  });
});
