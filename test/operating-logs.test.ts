import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf } from '../src/identity/callers.js';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { waitFor } from './support/waiting.js';

const CALLER_TOKEN = 'log-test-caller-token-0042';
const MESSAGE = 'log-test-message-do-not-print';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

type Line = Record<string, unknown>;
/** Every stderr line as JSON: a line that is not one fails the test. */
const jsonLines = (stderr: string): Line[] =>
  stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
const callLines = (lines: Line[]) => lines.filter((line) => line.event === 'tools/call');
const mastraLines = (lines: Line[], state: string) => lines.filter((line) => line.mastra === state);

/** Nothing the caller sent, Mastra answered, or the agents are told, and no token, is in the log. */
function expectNothingPrivate(stderr: string) {
  for (const secret of [CALLER_TOKEN, MESSAGE, SYSTEM_PROMPT_SECRET, `echo: ${MESSAGE}`]) expect(stderr).not.toContain(secret);
}

describe('one log line per call (--log-format json, HTTP)', () => {
  let bridge: Bridge;
  beforeAll(async () => {
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', bin: true, client: 'none', args: ['--log-format', 'json'] });
  });
  afterAll(() => bridge?.close());

  it('logs each call of both eras and each task with tool, era, identity hash, outcome and duration; every line is one JSON object', async () => {
    const { client, close } = await bridge.connect({ token: CALLER_TOKEN });
    await client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } });
    await client.callTool({ name: 'ask_broken', arguments: { message: MESSAGE } });
    const stream = client.experimental.tasks.callToolStream({ name: 'ask_echo', arguments: { message: MESSAGE } }, undefined, { task: { ttl: 60_000 } });
    for await (const message of stream) if (message.type === 'result' || message.type === 'error') break;
    await close();
    const modern = await bridge.connect({ token: CALLER_TOKEN, era: 'modern' });
    await modern.client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } });
    await modern.close();

    const lines = await waitFor('four call lines', () => {
      const now = jsonLines(bridge.stderr());
      return callLines(now).length >= 4 && now;
    });
    for (const line of lines) {
      expect(typeof line.time).toBe('string');
      expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
      expect(typeof line.msg).toBe('string');
    }
    expect(lines.some((line) => String(line.msg).startsWith('listening on http://'))).toBe(true);
    const identity = identityOf(CALLER_TOKEN).slice(0, 12);
    const common = { level: 'info', identity, duration_ms: expect.any(Number) };
    expect(callLines(lines)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ...common, tool: 'ask_echo', era: '2025-11-25', task: false, outcome: 'ok' }),
        expect.objectContaining({ ...common, tool: 'ask_broken', era: '2025-11-25', task: false, outcome: 'is_error', error_type: 'upstream_error' }),
        expect.objectContaining({ ...common, tool: 'ask_echo', era: '2025-11-25', task: true, outcome: 'ok' }),
        expect.objectContaining({ ...common, tool: 'ask_echo', era: '2026-07-28', task: false, outcome: 'ok' }),
      ]),
    );
    expect(callLines(lines)).toHaveLength(4);
    expectNothingPrivate(bridge.stderr());
  });
});

describe('Mastra stopping and starting to answer (HTTP, json)', () => {
  it('warns once when Mastra stops answering and once when it answers again, with a line per failed call', async () => {
    const own = await startStack();
    const { port } = own.mastra;
    const bridge = await startBridge({
      mastraUrl: own.mastra.url,
      transport: 'http',
      bin: true,
      client: 'none',
      args: ['--log-format', 'json', '--refresh-interval', '0'],
    });
    try {
      const { client } = await bridge.connect({ token: CALLER_TOKEN });
      await client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } });
      await own.mastra.close();
      for (const _ of [1, 2]) {
        const failed = (await client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } })) as CallToolResult;
        expect(textOf(failed)).toContain('Cannot reach the Mastra server');
      }
      let lines = jsonLines(bridge.stderr());
      expect(mastraLines(lines, 'not_answering')).toEqual([expect.objectContaining({ level: 'warn' })]);
      expect(callLines(lines).filter((line) => line.error_type === 'unreachable')).toHaveLength(2);
      expect(mastraLines(lines, 'answering')).toEqual([]);

      // A Mastra on the same port stands in for the one restarted; it closes with the stack.
      await own.another({ port });
      await client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } });
      await client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } });
      lines = jsonLines(bridge.stderr());
      expect(mastraLines(lines, 'answering')).toEqual([expect.objectContaining({ level: 'warn' })]);
      expect(mastraLines(lines, 'not_answering')).toHaveLength(1);
      expect(callLines(lines).filter((line) => line.outcome === 'ok')).toHaveLength(3);
      expectNothingPrivate(bridge.stderr());
    } finally {
      await bridge.close();
      await own.close();
    }
  }, 60_000);
});

describe('one log line per call (stdio, text)', () => {
  it('2025-11-25: ok, timed out and cancelled calls each get one line', async () => {
    const stdio = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', args: ['--call-timeout', '300ms'] });
    try {
      await stdio.client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } });
      const slow = (await stdio.client.callTool({ name: 'ask_slow', arguments: { message: MESSAGE } })) as CallToolResult;
      expect(slow.isError).toBe(true);
      const controller = new AbortController();
      const cancelled = stdio.client.callTool({ name: 'ask_slow', arguments: { message: MESSAGE } }, undefined, { signal: controller.signal });
      await waitFor('the slow call to reach Mastra', () => stack.mastra.requests.filter((r) => r.includes('/agents/slow/')).length >= 2);
      controller.abort();
      await expect(cancelled).rejects.toThrow();
      const lines = await waitFor('three call lines', () => {
        const now = stdio
          .stderr()
          .split('\n')
          .filter((line) => line.includes('tools/call ask_'));
        return now.length >= 3 && now;
      });
      expect(lines).toEqual([
        expect.stringMatching(
          /^mastra-agents-mcp: info: tools\/call ask_echo answered after \d+ms .*era=2025-11-25 identity=service task=false outcome=ok duration_ms=\d+/,
        ),
        expect.stringMatching(/tools\/call ask_slow timed out .*outcome=timed_out error_type=timeout/),
        expect.stringMatching(/tools\/call ask_slow was cancelled .*outcome=cancelled/),
      ]);
      expectNothingPrivate(stdio.stderr());
    } finally {
      await stdio.close();
    }
  });

  it('2026-07-28: a call gets its line, with its era', async () => {
    const stdio = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', era: 'modern' });
    try {
      await stdio.client.callTool({ name: 'ask_echo', arguments: { message: MESSAGE } });
      await waitFor('the call line', () => stdio.stderr().includes('tools/call ask_echo answered'));
      expect(stdio.stderr()).toMatch(/tools\/call ask_echo answered after \d+ms .*era=2026-07-28 identity=service task=false outcome=ok/);
      expectNothingPrivate(stdio.stderr());
    } finally {
      await stdio.close();
    }
  });
});
