import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, startStack, type Stack } from './helpers.js';

const run = promisify(execFile);
const INSPECTOR = new URL('../node_modules/.bin/inspector', import.meta.url).pathname;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The MCP Inspector CLI: a real, independent MCP client, driving the built bin over stdio. */
async function inspect(...args: string[]) {
  const { stdout } = await run(
    INSPECTOR,
    ['--cli', '-q', '-e', `MASTRA_BASE_URL=${stack.mastra.url}`, ...args, '--format', 'json', '--', process.execPath, BIN],
    { env: { ...process.env, MCP_INSPECTOR_SECRET_STORE: 'memory' } },
  );
  return JSON.parse(stdout) as { result: any };
}

describe('the MCP Inspector CLI over stdio', () => {
  it('lists the agents as tools', async () => {
    const { result } = await inspect('--method', 'tools/list');
    const echo = result.tools.find((t: { name: string }) => t.name === 'ask_echo');
    expect(echo.title).toBe('Echo Agent');
    expect(result.tools).toHaveLength(10);
  });

  it('calls a tool and gets the agent answer', async () => {
    const { result } = await inspect('--method', 'tools/call', '--tool-name', 'ask_calculator', '--tool-arg', 'message=add 2 and 3');
    expect(result.content[0].text).toBe('The tool said {"sum":5}.');
    expect(result.structuredContent.toolCalls[0].toolName).toBe('add');
  });
});
