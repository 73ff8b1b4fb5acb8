import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAIL_MESSAGE } from './fixture/fake-model.js';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import type { ClientBridge } from './support/bridge.js';
import { bridgeWays } from './support/bridge-ways.js';
import { startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { upstreamCaughtUp } from './support/waiting.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The same bodies over each era and transport: a client sees the same tools and results in 2025-11-25 and 2026-07-28. */
describe.each(bridgeWays)('over $name', (way) => {
  let bridge: ClientBridge;
  beforeAll(async () => {
    bridge = await way.start(stack.mastra.url);
  });
  afterAll(async () => {
    await bridge?.close();
  });
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = (await bridge.client.callTool({ name, arguments: args })) as CallToolResult;
    expect(JSON.stringify(result)).not.toContain(SYSTEM_PROMPT_SECRET);
    return result;
  };

  it('lists one tool per agent with its title, schemas and annotations', async () => {
    const { tools } = await bridge.client.listTools();
    expect(tools).toHaveLength(10);
    const echo = tools.find((t) => t.name === 'ask_echo')!;
    expect(echo).toMatchObject({ title: 'Echo Agent', annotations: { openWorldHint: true, readOnlyHint: false } });
    expect(echo.inputSchema.required).toEqual(['message']);
    expect(echo.outputSchema?.properties).toHaveProperty('toolResults');
  });

  it('returns the answer as text and structured content, with the tools the agent used', async () => {
    const result = await call('ask_calculator', { message: 'add 2 and 3' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('The tool said {"sum":5}.');
    expect(result.structuredContent).toMatchObject({
      agentId: 'calculator',
      toolCalls: [{ toolName: 'add', args: { a: 2, b: 3 } }],
      toolResults: [{ toolName: 'add', result: { sum: 5 }, isError: false }],
    });
  });

  it('continues a memory thread and passes requestContext', async () => {
    const thread = { threadId: `thread-${way.name}-${Date.now()}`, resourceId: 'user-1' };
    await call('ask_notes', { message: 'my name is Ada', ...thread });
    const second = await call('ask_notes', { message: 'what is my name?', ...thread });
    expect(textOf(second)).toContain('my name is Ada');
    expect(second.structuredContent).toMatchObject(thread);
    expect(textOf(await call('ask_whoami', { message: 'who?', requestContext: { tenant: 'acme' } }))).toBe('revealed: user=anonymous tenant=acme');
  });

  it('answers failures as isError results, bad arguments without calling Mastra, and an unknown tool as a protocol error', async () => {
    const broken = await call('ask_broken', { message: 'try' });
    expect(broken.isError).toBe(true);
    expect(textOf(broken)).toContain('HTTP 500');
    expect(textOf(broken)).toContain(FAIL_MESSAGE);
    const invalid = await call('ask_echo', { message: '' });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toContain('message: message must not be empty');
    // A valid call made after it reaches the model after anything it could have sent.
    await upstreamCaughtUp(stack.model, (marker) => call('ask_echo', { message: marker }));
    expect(stack.requestsFor('')).toEqual([]);
    await expect(bridge.client.callTool({ name: 'ask_nobody', arguments: { message: 'hi' } })).rejects.toThrow(/Unknown tool "ask_nobody"/);
  });
});
