import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { catalogueOf } from './support/defaults.js';
import { clientFor, signJwt, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';

const withProgress = { onprogress: () => {} };
const ways = [
  ['generate', {}],
  ['stream', withProgress],
] as const;

describe('memory continuity in the text a model reads', () => {
  let stack: Stack;
  let bridge: ClientBridge;
  beforeAll(async () => {
    stack = await startStack();
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
  });
  afterAll(async () => {
    await bridge?.close();
    await stack?.close();
  });
  const call = async (args: Record<string, unknown>, options = {}) =>
    (await bridge.client.callTool({ name: 'ask_notes', arguments: args }, undefined, options)) as CallToolResult;

  it.each(ways)('names the thread and the resource to continue with (%s)', async (_, options) => {
    const result = await call({ message: 'remember 7', resourceId: 'user-7' }, options);
    const { threadId } = result.structuredContent as { threadId: string };
    expect(result.content).toEqual([
      { type: 'text', text: 'history: remember 7' },
      { type: 'text', text: `To continue this conversation, call this tool again with threadId "${threadId}" and resourceId "user-7".` },
    ]);
    expect(result.structuredContent).toMatchObject({ threadId, resourceId: 'user-7' });
  });

  it('reads back a streamed thread whose id holds URL characters, so each id names exactly its own thread', async () => {
    const threadId = `t#${Date.now()}?x=1/..`;
    const result = await call({ message: 'odd id', threadId, resourceId: 'odd-owner' }, withProgress);
    expect(result.structuredContent).toMatchObject({ threadId, resourceId: 'odd-owner' });
    expect(textOf(result)).toContain(`resourceId "odd-owner"`);
  });

  it('says nothing about continuing when no memory was asked for', async () => {
    const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'plain' } })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: 'echo: plain' }]);
  });

  it.each(ways)(
    'a threadId without the resource its thread was made with is told to pass that resourceId, not blamed on the token (%s)',
    async (_, options) => {
      const first = await call({ message: 'mine', resourceId: 'owner-1' }, options);
      const { threadId } = first.structuredContent as { threadId: string };
      const second = await call({ message: 'again', threadId }, options);
      expect(second.isError).toBe(true);
      expect(textOf(second)).toContain('thread belongs to a different resource');
      expect(textOf(second)).toContain('The thread was created with another resourceId: pass that resourceId together with the threadId');
      expect(textOf(second)).not.toMatch(/token/i);
    },
  );
});

describe('a Mastra that maps each user to their own resource (mapUserToResourceId)', () => {
  const SECRET = 'memory-continuity-secret';
  let stack: Stack;
  let bridge: ClientBridge;
  beforeAll(async () => {
    stack = await startStack({ jwtSecret: SECRET, resourcePerUser: true });
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', serviceToken: signJwt(SECRET, { sub: 'alice' }) });
  });
  afterAll(async () => {
    await bridge?.close();
    await stack?.close();
  });

  it.each(ways)('reports the resource Mastra used, not the one the call named (%s)', async (_, options) => {
    const threadId = `mapped-${Object.keys(options).length}`;
    const first = (await bridge.client.callTool(
      { name: 'ask_notes', arguments: { message: 'note this', threadId, resourceId: 'bob' } },
      undefined,
      options,
    )) as CallToolResult;
    expect(first.isError).toBeFalsy();
    expect(first.structuredContent).toMatchObject({ threadId, resourceId: 'user:alice' });
    expect(textOf(first)).toContain(`threadId "${threadId}" and resourceId "user:alice"`);
    expect(textOf(first)).not.toContain('bob');
  });
});

/** What a model may read into a tool: memory fields only where Mastra keeps threads, a way to continue only when it kept one. */
describe.each([
  ['2025-11-25', (url: string) => startBridge({ mastraUrl: url, transport: 'in-memory' })],
  ['2026-07-28', (url: string) => startBridge({ mastraUrl: url, transport: 'http', era: 'modern' })],
] as const)('memory only where the agent has it, %s', (_era, start) => {
  let stack: Stack;
  let bridge: ClientBridge;
  beforeAll(async () => {
    stack = await startStack();
    bridge = await start(stack.mastra.url);
  });
  afterAll(async () => {
    await bridge?.close();
    await stack?.close();
  });

  it('offers threadId and resourceId on an agent with memory, and not on one without', async () => {
    const { tools } = await bridge.client.listTools();
    const schemaOf = (name: string) => tools.find((tool) => tool.name === name)!.inputSchema;
    expect(Object.keys(schemaOf('ask_notes').properties ?? {})).toEqual(['message', 'threadId', 'resourceId', 'requestContext']);
    expect(Object.keys(schemaOf('ask_echo').properties ?? {})).toEqual(['message', 'requestContext']);
  });

  it.each(ways)('an agent without memory, called with a resourceId anyway, answers with no way to continue: no thread was kept (%s)', async (_, options) => {
    const result = (await bridge.client.callTool(
      { name: 'ask_echo', arguments: { message: 'Oslo', resourceId: 'carol' } },
      undefined,
      options,
    )) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([{ type: 'text', text: 'echo: Oslo' }]);
    expect(result.structuredContent).not.toHaveProperty('threadId');
    expect(result.structuredContent).not.toHaveProperty('resourceId');
  });

  it.each(ways)('an agent with memory still says how to continue (%s)', async (_, options) => {
    const result = (await bridge.client.callTool(
      { name: 'ask_notes', arguments: { message: 'keep this', resourceId: 'carol' } },
      undefined,
      options,
    )) as CallToolResult;
    const { threadId } = result.structuredContent as { threadId: string };
    expect(textOf(result)).toContain(`threadId "${threadId}" and resourceId "carol"`);
  });
});

describe('what knowing about memory costs', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());
  const statusRequests = () => stack.mastra.requests.filter((request) => request === 'GET /api/memory/status').length;

  it('asks Mastra once per agent at the first listing, and not again while the listing stays the same', async () => {
    const catalogue = catalogueOf(clientFor(stack.mastra.url));
    await catalogue.refresh();
    expect(statusRequests()).toBe(catalogue.tools.length);
    // This Mastra hears nothing else: a marker is not needed to tell the second listing's requests apart.
    const before = stack.mastra.requests.length;
    await catalogue.refresh();
    expect(stack.mastra.requests.slice(before)).toEqual(['GET /api/agents', 'GET /api/workflows']);
  });
});
