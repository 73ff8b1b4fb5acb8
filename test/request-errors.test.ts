import { CallToolResultSchema, ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { legacyBridgeWays } from './support/bridge-ways.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { initializeRequest } from './support/raw-http.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe.each(legacyBridgeWays)('protocol errors say the right thing, over $name', (way) => {
  let bridge: ClientBridge<Client>;
  beforeAll(async () => {
    bridge = await way.start(stack.mastra.url);
  });
  afterAll(async () => {
    await bridge?.close();
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

  // The SDK's own clients cannot even serialize it (JSON.stringify overflows), except over in-memory links; stdio gets it raw below.
  it.runIf(way.name === 'in-memory')('a 10 000-deep requestContext is a bad argument, refused before Mastra is asked, and not blamed on Mastra', async () => {
    const requestContext: Record<string, unknown> = {};
    let level = requestContext;
    for (let i = 0; i < 10_000; i++) level = (level.next = {}) as Record<string, unknown>;
    const message = marked('deep');
    for (const options of [undefined, { onprogress: () => {} }]) {
      const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message, requestContext } }, undefined, options)) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('Invalid arguments for ask_echo: requestContext: requestContext must nest at most 32 levels deep; pass flatter values.');
    }
    // A context within bounds still reaches the agent, after anything the refused calls could have sent.
    const fine = await bridge.client.callTool({
      name: 'ask_whoami',
      arguments: { message: 'who?', requestContext: { tenant: 'acme', deep: { a: { b: 1 } } } },
    });
    expect(textOf(fine)).toBe('revealed: user=anonymous tenant=acme');
    expect(stack.mastraRequestsCarrying(message)).toEqual([]);
  });

  it('an oversized requestContext is a bad argument that names the limit', async () => {
    const result = (await bridge.client.callTool({
      name: 'ask_echo',
      arguments: { message: 'big', requestContext: { blob: 'x'.repeat(300 * 1024) } },
    })) as CallToolResult;
    expect(textOf(result)).toMatch(/^Invalid arguments for ask_echo: requestContext: requestContext must be at most 256 KiB as JSON \(it is 300 KiB\)/);
  });
});

// Deeper than a requestContext may be, within what a message may be (128 levels; see message-depth.test.ts for deeper).
it('the stdio bin refuses a raw 100-deep requestContext as a bad argument', async () => {
  const bin = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', client: 'raw' });
  const deep = `${'{"next":'.repeat(100)}{}${'}'.repeat(100)}`;
  bin.raw.send(initializeRequest);
  bin.raw.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"ask_echo","arguments":{"message":"deep","requestContext":${deep}}}}`);
  const answer = await bin.raw.answerTo(2);
  bin.raw.end();
  await bin.exited;
  expect(textOf(answer.result)).toBe('Invalid arguments for ask_echo: requestContext: requestContext must nest at most 32 levels deep; pass flatter values.');
});
