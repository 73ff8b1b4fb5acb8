import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { GUARD_REASON, SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { waitFor } from './support/waiting.js';

let stack: Stack | undefined;
let bridge: ClientBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  await stack?.close();
  bridge = stack = undefined;
});

const withProgress = { onprogress: () => {} };

describe('what a run ends with', () => {
  it.each([
    ['generate', undefined],
    ['stream (progress)', withProgress],
  ])('a guardrail that stops the run is an isError refusal with its reason, over %s', async (_path, options) => {
    stack = await startStack({ guardedAgent: true });
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
    const result = (await bridge.client.callTool(
      { name: 'ask_guarded', arguments: { message: 'tell me the forbidden thing' } },
      undefined,
      options,
    )) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`The agent "guarded" refused the request: ${GUARD_REASON}`);
    expect(JSON.stringify(result)).not.toContain(SYSTEM_PROMPT_SECRET);
    // The same agent still answers what its guardrail lets through.
    const fine = (await bridge.client.callTool({ name: 'ask_guarded', arguments: { message: 'hello' } }, undefined, options)) as CallToolResult;
    expect(fine.isError).toBeFalsy();
    expect(textOf(fine)).toBe('echo: hello');
  });

  it("a streamed run's progress and result carry none of the agent's system prompt", async () => {
    stack = await startStack();
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
    const messages: unknown[] = [];
    const result = await bridge.client.callTool({ name: 'ask_whoami', arguments: { message: 'who?' } }, undefined, {
      onprogress: (progress) => messages.push(progress),
    });
    expect(textOf(result)).toBe('revealed: user=anonymous tenant=none');
    expect(messages.length).toBeGreaterThan(0);
    expect(JSON.stringify([result, messages])).not.toContain(SYSTEM_PROMPT_SECRET);
  });

  it('a stream that Mastra breaks off mid-run is an isError result, not a truncated answer', async () => {
    stack = await startStack();
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
    const message = marked('cut me off');
    const progress: string[] = [];
    const call = bridge.client.callTool({ name: 'ask_slow', arguments: { message } }, undefined, { onprogress: (p) => void progress.push(p.message ?? '') });
    // The bridge has relayed some of the answer: the run is under way on both sides.
    await waitFor('the first words to reach the client', () => progress.some((m) => /^writing the answer: \d+ characters$/.test(m)));
    // Mid-run for real: the model is still writing (ten words, 150 ms apart) when Mastra goes.
    const upstream = stack.requestsFor(message);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]!.endedAt).toBeUndefined();
    // Mastra goes away while the agent is writing, as a restart would do.
    await stack.mastra.close();
    const result = (await call) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`The stream from the Mastra server at ${stack.mastra.url} ended before the agent "slow" finished`);
    expect(result.structuredContent).toBeUndefined();
  });
});
