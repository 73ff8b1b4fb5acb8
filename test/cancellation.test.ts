import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PONDER_MS } from './fixture/mastra-app.js';
import { bridgeTransports, startStack, textOf, waitFor, type Bridge, type Stack } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ longRunAgents: true });
});
afterAll(async () => {
  await stack?.close();
});

/** The `slower` agent's model takes four seconds; everything here stops it well before. */
const SLOWER_RUN_MS = 4_000;
const modelRequests = (message: string) => stack.model.requests.filter((r) => r.lastUserMessage === message);

/** The call's one model request, once the model has started answering it. */
const started = (message: string) => waitFor(`the model request for "${message}"`, () => modelRequests(message)[0]?.firstChunkAt !== undefined);

/**
 * The model saw its request aborted within about a second of `since` (a time, or one read off the model
 * request), and no other request followed for this call.
 */
async function expectStoppedUpstream(message: string, since: number | ((request: { startedAt: number }) => number)) {
  const request = await waitFor(`the model request for "${message}" to end`, () => {
    const r = modelRequests(message)[0];
    return r?.endedAt !== undefined && r;
  });
  expect(request.aborted).toBe(true);
  expect(request.endedAt! - (typeof since === 'number' ? since : since(request))).toBeLessThan(1_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(modelRequests(message)).toHaveLength(1);
}

const withProgress = { onprogress: () => {} };

describe.each(bridgeTransports)('over $name', (transport) => {
  describe('cancellation', () => {
    let bridge: Bridge;
    beforeAll(async () => {
      bridge = await transport.connect(stack.mastra.url);
    });
    afterAll(async () => {
      await bridge?.close();
    });

    it.each([
      ['without progress (generate)', {}],
      ['with progress (stream)', withProgress],
    ])('a cancelled call %s stops the agent upstream, and the next call succeeds', async (_, options) => {
      const message = `cancel-${transport.name}-${Object.keys(options).length}`;
      const controller = new AbortController();
      const call = bridge.client.callTool({ name: 'ask_slower', arguments: { message } }, undefined, { ...options, signal: controller.signal });
      // A generate request only answers at the end, so wait for it to start rather than for its first chunk.
      await waitFor('the call to reach the model', () => modelRequests(message).length > 0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const cancelledAt = Date.now();
      controller.abort('the user pressed stop');
      await expect(call).rejects.toThrow();
      await expectStoppedUpstream(message, cancelledAt);

      const next = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'after cancel' } })) as CallToolResult;
      expect(textOf(next)).toBe('echo: after cancel');
    });
  });

  it('a call cancelled while the agent runs a tool sends no further model request', async () => {
    const bridge = await transport.connect(stack.mastra.url);
    try {
      const message = `cancel-in-tool-${transport.name}`;
      const controller = new AbortController();
      let inTool!: () => void;
      const toolCalled = new Promise<void>((resolve) => (inTool = resolve));
      const call = bridge.client.callTool({ name: 'ask_ponderer', arguments: { message } }, undefined, {
        signal: controller.signal,
        onprogress: (p) => p.message === 'calling tool ponder' && inTool(),
      });
      call.catch(() => {});
      await toolCalled;
      controller.abort();
      // The ponder tool answers after PONDER_MS; without the abort Mastra would then ask the model again.
      await new Promise((resolve) => setTimeout(resolve, PONDER_MS + 500));
      expect(modelRequests(message)).toHaveLength(1);
      expect((await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'next' } })).isError).toBeFalsy();
    } finally {
      await bridge.close();
    }
  });

  it('closing the client mid-call stops the agent upstream', async () => {
    const bridge = await transport.connect(stack.mastra.url);
    const message = `close-${transport.name}`;
    const call = bridge.client.callTool({ name: 'ask_slower', arguments: { message } }, undefined, withProgress);
    call.catch(() => {});
    await started(message);
    const closedAt = Date.now();
    await bridge.close();
    await expect(call).rejects.toThrow(/Connection closed/);
    await expectStoppedUpstream(message, closedAt);
  });

  describe('the call timeout', () => {
    let bridge: Bridge;
    beforeAll(async () => {
      bridge = await transport.connect(stack.mastra.url, { callTimeoutMs: 700 });
    });
    afterAll(async () => {
      await bridge?.close();
    });

    it.each([
      ['without progress (generate)', {}],
      ['with progress (stream)', withProgress],
    ])('stops a run that takes longer, %s, with an error naming the limit and how to raise it', async (_, options) => {
      const message = `timeout-${transport.name}-${Object.keys(options).length}`;
      const startedAt = Date.now();
      const result = (await bridge.client.callTool({ name: 'ask_slower', arguments: { message } }, undefined, options)) as CallToolResult;
      expect(Date.now() - startedAt).toBeLessThan(SLOWER_RUN_MS);
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toContain('"slower"');
      expect(text).toContain('call timeout of 700ms');
      expect(text).toContain('--call-timeout');
      expect(text).toContain('MCP_CALL_TIMEOUT (a duration such as 500ms, 30s, 2m or 1h)');
      // The timeout counts from when the bridge took the call, which is before Mastra asked the model and, on a
      // loaded machine, well after the client sent it: the model request's start bounds it from the bridge's side.
      await expectStoppedUpstream(message, (request) => request.startedAt + 700);

      const next = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'in time' } })) as CallToolResult;
      expect(textOf(next)).toBe('echo: in time');
    });
  });
});
