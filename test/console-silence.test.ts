import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, guardConsole } from '../src/log.js';
import { FAIL_MESSAGE } from './fixture/fake-model.js';
import { BIN, startStack, type Stack } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('nothing but the logger writes to the console', () => {
  it('the stdio bin at --log-level silent prints no error dump on stderr, and only MCP on stdout, when agents fail', async () => {
    const child = spawn(process.execPath, [BIN, '--log-level', 'silent'], {
      env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lines: string[] = [];
    const answers = new Map<number, (message: { result?: { isError?: boolean; content: { text: string }[] } }) => void>();
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const message = JSON.parse(line) as { id?: number };
      if (typeof message.id === 'number') answers.get(message.id)?.(message as never);
    });
    let id = 0;
    const request = (method: string, params: unknown) =>
      new Promise<{ result?: { isError?: boolean; content: { text: string }[] } }>((resolve) => {
        answers.set(++id, resolve);
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
      });
    await request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    // The failing agents, plainly and streamed (a progress token makes the bridge stream); stallfail fails only when streamed.
    for (const [name, streamed] of [
      ['ask_broken', false],
      ['ask_broken', true],
      ['ask_stallfail', true],
    ] as const) {
      const { result } = await request('tools/call', { name, arguments: { message: 'fail' }, ...(streamed ? { _meta: { progressToken: id } } : {}) });
      expect(result?.isError).toBe(true);
      expect(result?.content[0]?.text).toContain(FAIL_MESSAGE);
    }
    child.stdin.end();
    await new Promise((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
  });

  it('the guard drops what a library prints, unread, and tells the logger once per method', () => {
    const printed: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => printed.push(args);
    const logged: string[] = [];
    const giveBack = guardConsole(createLogger('debug', (line) => logged.push(line)));
    try {
      console.error('AI_APICallError: https://provider.example/v1 Authorization: Bearer sk-secret', { prompt: 'SECRET-SYSTEM-PROMPT' });
      console.error('again');
      console.log('to stdout');
      console.assert(true, 'not printed by the console either');
    } finally {
      giveBack();
    }
    console.error('after');
    console.error = original;
    expect(printed).toEqual([['after']]);
    expect(logged).toEqual([
      'mastra-agents-mcp: debug: a library wrote to console.error; what it printed was dropped unread (it may hold provider bodies or prompts), and so is the rest it prints there\n',
      'mastra-agents-mcp: debug: a library wrote to console.log; what it printed was dropped unread (it may hold provider bodies or prompts), and so is the rest it prints there\n',
    ]);
  });
});
