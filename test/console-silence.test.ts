import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, guardConsole } from '../src/log.js';
import { FAIL_MESSAGE } from './fixture/fake-model.js';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('nothing but the logger writes to the console', () => {
  it('the stdio bin at --log-level silent prints no error dump on stderr, and only MCP on stdout, when agents fail', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', client: 'raw', args: ['--log-level', 'silent'] });
    await bridge.raw.initialize();
    // The failing agents, plainly and streamed (a progress token makes the bridge stream); stallfail fails only when streamed.
    for (const [name, streamed] of [
      ['ask_broken', false],
      ['ask_broken', true],
      ['ask_stallfail', true],
    ] as const) {
      const { result } = await bridge.raw.request('tools/call', {
        name,
        arguments: { message: 'fail' },
        ...(streamed ? { _meta: { progressToken: name } } : {}),
      });
      expect(result?.isError).toBe(true);
      expect(result?.content[0]?.text).toContain(FAIL_MESSAGE);
    }
    bridge.raw.end();
    await bridge.exited;
    expect(bridge.stderr()).toBe('');
    for (const line of bridge.raw.lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
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
