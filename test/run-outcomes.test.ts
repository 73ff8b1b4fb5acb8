import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { GUARD_REASON, SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { connectInMemory, startStack, textOf, waitFor, type Connected, type Stack } from './helpers.js';

let stack: Stack | undefined;
let bridge: Connected | undefined;
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
    bridge = await connectInMemory({ listFrom: stack.mastra.url });
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
    bridge = await connectInMemory({ listFrom: stack.mastra.url });
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
    bridge = await connectInMemory({ listFrom: stack.mastra.url });
    const call = bridge.client.callTool({ name: 'ask_slow', arguments: { message: 'cut me off' } }, undefined, withProgress);
    const upstream = await waitFor('the first words', () =>
      stack!.model.requests.find((r) => r.lastUserMessage === 'cut me off' && r.firstChunkAt !== undefined),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Mastra goes away while the agent is writing, as a restart would do.
    await stack.mastra.close();
    const result = (await call) as CallToolResult;
    expect(upstream).toBeDefined();
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`The stream from the Mastra server at ${stack.mastra.url} ended before the agent "slow" finished`);
    expect(result.structuredContent).toBeUndefined();
  });
});
