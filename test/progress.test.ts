import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAIL_MESSAGE, SLOW_WORDS } from './fixture/fake-model.js';
import { PONDER_MS } from './fixture/mastra-app.js';
import { bridgeTransports, startStack, textOf, type Bridge, type Stack } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ longRunAgents: true });
});
afterAll(async () => {
  await stack?.close();
});

interface Update extends Progress {
  at: number;
}

describe.each(bridgeTransports)('progress over $name', (transport) => {
  let bridge: Bridge;
  beforeAll(async () => {
    bridge = await transport.connect(stack.mastra.url, { progress: { heartbeatMs: 300 } });
  });
  afterAll(async () => {
    await bridge?.close();
  });

  /** A call with a progress token (the SDK sends one when onprogress is given), recording each update. */
  const callWithProgress = async (name: string, message: string) => {
    const updates: Update[] = [];
    const result = (await bridge.client.callTool({ name, arguments: { message } }, undefined, {
      onprogress: (progress) => updates.push({ ...progress, at: Date.now() }),
    })) as CallToolResult;
    return { result, updates };
  };
  const modelRequest = (message: string) => stack.model.requests.find((r) => r.lastUserMessage === message);

  it('streams the slow agent: several increasing updates with messages, then the same answer as without progress', async () => {
    const message = `progress-${transport.name}`;
    const [{ result, updates }, plain] = await Promise.all([
      callWithProgress('ask_slow', message),
      bridge.client.callTool({ name: 'ask_slow', arguments: { message: `${message}-plain` } }) as Promise<CallToolResult>,
    ]);

    expect(result.isError).toBeFalsy();
    expect(updates.length).toBeGreaterThanOrEqual(4);
    for (const [i, update] of updates.entries()) {
      expect(update.message).toMatch(/\w/);
      if (i > 0) expect(update.progress).toBeGreaterThan(updates[i - 1]!.progress);
    }
    expect(updates.map((u) => u.message)).toContain('agent "slow" started');
    const writing = updates.filter((u) => /^writing the answer: \d+ characters$/.test(u.message ?? ''));
    expect(writing.length).toBeGreaterThanOrEqual(2);
    // Progress arrives while the model is still writing, not after the run.
    expect(writing[0]!.at).toBeLessThan(modelRequest(message)!.endedAt!);

    expect(textOf(result)).toBe(SLOW_WORDS.join(''));
    expect(textOf(result)).toBe(textOf(plain));
    expect(result.structuredContent).toEqual(plain.structuredContent);
    // With a progress token the agent is streamed; without one it is a plain generate.
    expect(modelRequest(message)!.stream).toBe(true);
    expect(modelRequest(`${message}-plain`)!.stream).toBe(false);
  });

  it('names the tools the agent calls, and reports them in the result as generate does', async () => {
    const [{ result, updates }, plain] = await Promise.all([
      callWithProgress('ask_ponderer', 'add 2 and 3'),
      bridge.client.callTool({ name: 'ask_ponderer', arguments: { message: 'add 2 and 3' } }) as Promise<CallToolResult>,
    ]);
    // The ponder tool takes a while, so this update is well ahead of the result: the SDK client handles a
    // notification a microtask after a response read in the same chunk, and drops it once the call is done.
    expect(updates.map((u) => u.message)).toContain('calling tool ponder');
    expect(textOf(result)).toBe('The tool said {"sum":5}.');
    expect(result.structuredContent).toEqual(plain.structuredContent);
    expect(result.structuredContent).toMatchObject({
      finishReason: 'stop',
      usage: { inputTokens: 20, outputTokens: 10, totalTokens: 30 },
      toolCalls: [{ toolName: 'ponder', args: { a: 2, b: 3 } }],
      toolResults: [{ toolName: 'ponder', result: { sum: 5 }, isError: false }],
    });
  });

  // The bin has no flag for the heartbeat's pace, so this runs where the test can set it (in memory, HTTP in-process).
  if (transport.pacing)
    it('keeps sending a heartbeat while a tool runs silently, so a client that resets its timeout on progress waits', async () => {
      const updates: Progress[] = [];
      // The ponder tool is silent for longer than this client's timeout; only the heartbeat keeps the call alive.
      const result = (await bridge.client.callTool({ name: 'ask_ponderer', arguments: { message: 'ponder 2 and 3' } }, undefined, {
        onprogress: (progress) => updates.push(progress),
        timeout: PONDER_MS - 400,
        resetTimeoutOnProgress: true,
      })) as CallToolResult;
      expect(textOf(result)).toBe('The tool said {"sum":5}.');
      const messages = updates.map((u) => u.message ?? '');
      expect(messages).toContain('calling tool ponder');
      expect(messages).toContain('tool ponder returned');
      const during = messages.slice(messages.indexOf('calling tool ponder'), messages.indexOf('tool ponder returned'));
      expect(during.filter((m) => /^still working \(\d+ s\)$/.test(m)).length).toBeGreaterThanOrEqual(2);
    });

  it("a model that fails mid-stream is an isError result with Mastra's error text", async () => {
    const { result } = await callWithProgress('ask_stallfail', `stall-${transport.name}`);
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain(FAIL_MESSAGE);
    expect(text).toContain('"stallfail"');
    expect(text).toContain(stack.mastra.url);
    expect((await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'still here' } })).isError).toBeFalsy();
  });
});
