import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolEvents } from './fixture/mastra-app.js';
import type { ClientBridge } from './support/bridge.js';
import { bridgeWays } from './support/bridge-ways.js';
import { clientFor, marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { upstreamCaughtUp } from './support/waiting.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ longRunAgents: true });
});
afterAll(async () => {
  await stack?.close();
});

/** The call's one model request, once the model has started answering it. */
const started = (message: string) => stack.requestFor(message, (request) => request.firstChunkAt !== undefined);

/** A marked call straight to Mastra: the bridge's own way there may be gone (a closed client, a stopped bin). */
const markedToMastra = (marker: string) => clientFor(stack.mastra.url).getAgent('echo').generate(marker);

/**
 * The model saw its request aborted, not finished, at or after `since` (a time, or one read off the model
 * request), and no other request followed for this call: `marked` sends a call that reaches the model after it would have.
 * An order, not a time limit: a loaded machine may take its time, but a run that ended by itself is never `aborted`.
 */
async function expectStoppedUpstream(
  message: string,
  since: number | ((request: { startedAt: number }) => number),
  marked: (marker: string) => Promise<unknown>,
) {
  const request = await stack.requestFor(message, (r) => r.endedAt !== undefined);
  expect(request.aborted).toBe(true);
  expect(request.endedAt!).toBeGreaterThanOrEqual(typeof since === 'number' ? since : since(request));
  await upstreamCaughtUp(stack.model, marked);
  expect(stack.requestsFor(message)).toEqual([request]);
}

const withProgress = { onprogress: () => {} };

describe.each(bridgeWays)('over $name', (way) => {
  /** A marked echo through `bridge`, which still serves. */
  const through = (bridge: ClientBridge) => (marker: string) => bridge.client.callTool({ name: 'ask_echo', arguments: { message: marker } });

  describe('cancellation', () => {
    let bridge: ClientBridge;
    beforeAll(async () => {
      bridge = await way.start(stack.mastra.url);
    });
    afterAll(async () => {
      await bridge?.close();
    });

    it.each([
      ['without progress (generate)', {}],
      ['with progress (stream)', withProgress],
    ])('a cancelled call %s stops the agent upstream, and the next call succeeds', async (_, options) => {
      const message = marked(`cancel-${way.name}-${Object.keys(options).length}`);
      const controller = new AbortController();
      const call = bridge.client.callTool({ name: 'ask_slower', arguments: { message } }, undefined, { ...options, signal: controller.signal });
      // A generate request only answers at the end, so wait for it to start rather than for its first chunk.
      await stack.requestFor(message);
      const cancelledAt = Date.now();
      controller.abort('the user pressed stop');
      await expect(call).rejects.toThrow();
      await expectStoppedUpstream(message, cancelledAt, through(bridge));

      const next = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'after cancel' } })) as CallToolResult;
      expect(textOf(next)).toBe('echo: after cancel');
    });
  });

  it('a call cancelled while the agent runs a tool sends no further model request', async () => {
    const bridge = await way.start(stack.mastra.url);
    try {
      const message = marked(`cancel-in-tool-${way.name}`);
      const controller = new AbortController();
      let inTool!: () => void;
      const toolCalled = new Promise<void>((resolve) => (inTool = resolve));
      const call = bridge.client.callTool({ name: 'ask_ponderer', arguments: { message } }, undefined, {
        signal: controller.signal,
        onprogress: (p) => p.message === 'calling tool ponder' && inTool(),
      });
      call.catch(() => {});
      await toolCalled;
      const pondered = once(toolEvents, 'pondered', { signal: AbortSignal.timeout(10_000) });
      controller.abort();
      // Without the abort, Mastra asks the model again as soon as the ponder tool answers: after that, a marked call arrives last.
      expect(await pondered).toEqual([message]);
      await upstreamCaughtUp(stack.model, through(bridge));
      expect(stack.requestsFor(message)).toHaveLength(1);
      expect((await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'next' } })).isError).toBeFalsy();
    } finally {
      await bridge.close();
    }
  });

  it('closing the client mid-call stops the agent upstream', async () => {
    const bridge = await way.start(stack.mastra.url);
    const message = marked(`close-${way.name}`);
    const call = bridge.client.callTool({ name: 'ask_slower', arguments: { message } }, undefined, withProgress);
    call.catch(() => {});
    await started(message);
    const closedAt = Date.now();
    await bridge.close();
    await expect(call).rejects.toThrow(/Connection closed/);
    await expectStoppedUpstream(message, closedAt, markedToMastra);
  });

  describe('the call timeout', () => {
    let bridge: ClientBridge;
    beforeAll(async () => {
      bridge = await way.start(stack.mastra.url, { callTimeoutMs: 700 });
    });
    afterAll(async () => {
      await bridge?.close();
    });

    it.each([
      ['without progress (generate)', {}],
      ['with progress (stream)', withProgress],
    ])('stops a run that takes longer, %s, with an error naming the limit and how to raise it', async (_, options) => {
      const message = marked(`timeout-${way.name}-${Object.keys(options).length}`);
      const result = (await bridge.client.callTool({ name: 'ask_slower', arguments: { message } }, undefined, options)) as CallToolResult;
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toContain('"slower"');
      expect(text).toContain('call timeout of 700ms');
      expect(text).toContain('--call-timeout');
      expect(text).toContain('MCP_CALL_TIMEOUT (a duration such as 500ms, 30s, 2m or 1h)');
      // The timeout counts from when the bridge took the call, before Mastra asked the model: the abort comes after the
      // model request began, and the run never finished by itself.
      await expectStoppedUpstream(message, (request) => request.startedAt, through(bridge));

      const next = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'in time' } })) as CallToolResult;
      expect(textOf(next)).toBe('echo: in time');
    });
  });
});
