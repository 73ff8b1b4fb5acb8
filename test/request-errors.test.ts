import { CallToolResultSchema, ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInMemory, startStack, textOf, type Connected, type Stack } from './helpers.js';

let stack: Stack;
let bridge: Connected;
beforeAll(async () => {
  stack = await startStack();
  bridge = await connectInMemory({ listFrom: stack.mastra.url });
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

/** The JSON-RPC error a raw request gets (the SDK client turns it into an McpError). */
async function errorOf(method: string, params: unknown): Promise<McpError> {
  const error = await bridge.client.request({ method, params } as never, CallToolResultSchema).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(McpError);
  return error as McpError;
}

describe('protocol errors say the right thing', () => {
  it.each([
    ['tools/call', { name: 5, arguments: {} }, 'Invalid params for tools/call: params.name: Invalid input: expected string, received number.'],
    ['tools/call', { arguments: { message: 'x' } }, 'Invalid params for tools/call: params.name: Invalid input: expected string, received undefined.'],
    ['tasks/get', { taskId: 7 }, 'Invalid params for tasks/get: params.taskId: Invalid input: expected string, received number.'],
  ])('%s with params %j is -32602 in words, not -32603 with a zod dump', async (method, params, words) => {
    const error = await errorOf(method, params);
    expect(error.code).toBe(ErrorCode.InvalidParams);
    expect(error.message).toBe(`MCP error -32602: ${words}`);
    expect(error.message).not.toContain('invalid_type');
  });

  it('an unknown tool is named once, with the error code once', async () => {
    const error = await errorOf('tools/call', { name: 'ask_nobody', arguments: { message: 'x' } });
    expect(error.code).toBe(ErrorCode.InvalidParams);
    expect(error.message).toBe('MCP error -32602: Unknown tool "ask_nobody": list the tools again to see the agents there are now.');
  });

  it('a 10 000-deep requestContext is a bad argument, refused before Mastra is asked, and not blamed on Mastra', async () => {
    const requestContext: Record<string, unknown> = {};
    let level = requestContext;
    for (let i = 0; i < 10_000; i++) level = (level.next = {}) as Record<string, unknown>;
    const before = stack.mastra.requests.length;
    for (const options of [undefined, { onprogress: () => {} }]) {
      const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'deep', requestContext } }, undefined, options)) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('Invalid arguments for ask_echo: requestContext: requestContext must nest at most 32 levels deep; pass flatter values.');
    }
    expect(stack.mastra.requests.slice(before)).toEqual([]);
    // A context within bounds still reaches the agent.
    const fine = await bridge.client.callTool({ name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant: 'acme', deep: { a: { b: 1 } } } } });
    expect(textOf(fine)).toBe('revealed: user=anonymous tenant=acme');
  });

  it('an oversized requestContext is a bad argument that names the limit', async () => {
    const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'big', requestContext: { blob: 'x'.repeat(300 * 1024) } } })) as CallToolResult;
    expect(textOf(result)).toMatch(/^Invalid arguments for ask_echo: requestContext: requestContext must be at most 256 KiB as JSON \(it is 301 KiB\)/);
  });
});
