import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAIL_MESSAGE } from './fixture/fake-model.js';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { DEFAULTS } from './support/defaults.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { closedPort, upstreamCaughtUp } from './support/waiting.js';

let stack: Stack;
let bridge: ClientBridge;
const results: unknown[] = [];

const call = async (name: string, args: Record<string, unknown>) => {
  const result = (await bridge.client.callTool({ name, arguments: args })) as CallToolResult;
  results.push(result);
  return result;
};

beforeAll(async () => {
  stack = await startStack();
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
});

afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

describe('the tool list', () => {
  it('offers one tool per agent, in a stable order, with valid unique names', async () => {
    const { tools } = await bridge.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toHaveLength(10);
    expect(new Set(names).size).toBe(10);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['ask_echo', 'ask_calculator', 'ask_broken', 'ask_notes', 'ask_whoami']));
  });

  it('keeps a valid id as it is and gives rewritten or overlong ids a stable hash suffix', async () => {
    const { tools } = await bridge.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('ask_team_alpha');
    const dotted = names.filter((n) => /^ask_team_alpha_[0-9a-f]{8}$/.test(n));
    expect(dotted).toHaveLength(1);
    const long = names.find((n) => n.startsWith('ask_a-very-long'));
    expect(long).toMatch(/^ask_a-very-long-agent-identifier-x+_[0-9a-f]{8}$/);
    expect(long).toHaveLength(DEFAULTS.maxToolName);
  });

  it('describes each agent with its name, purpose, tools, schemas and annotations', async () => {
    const { tools } = await bridge.client.listTools();
    const echo = tools.find((t) => t.name === 'ask_echo')!;
    expect(echo.title).toBe('Echo Agent');
    expect(echo.description).toContain('Repeats the message it is given');
    expect(echo.annotations).toMatchObject({ openWorldHint: true, readOnlyHint: false });
    expect(echo.annotations).not.toHaveProperty('destructiveHint');
    expect(echo.inputSchema.required).toEqual(['message']);
    // Echo has no memory: a thread to continue is offered only by agents that have one.
    expect(Object.keys(echo.inputSchema.properties ?? {})).toEqual(['message', 'requestContext']);
    expect(Object.keys(tools.find((t) => t.name === 'ask_notes')!.inputSchema.properties ?? {})).toEqual([
      'message',
      'threadId',
      'resourceId',
      'requestContext',
    ]);
    expect(echo.outputSchema?.properties).toHaveProperty('toolResults');

    const calculator = tools.find((t) => t.name === 'ask_calculator')!;
    // No description: its name and tools. The instructions are its system prompt (--describe-from-instructions opts in).
    expect(calculator.description).toBe('Ask the Mastra agent "Calculator" and get its answer. It can use these tools: add.');
    for (const tool of tools) expect(tool.description).not.toContain(SYSTEM_PROMPT_SECRET);
  });
});

describe('a call', () => {
  it('returns the agent answer as text and as structured content', async () => {
    const result = await call('ask_echo', { message: 'hello bridge' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toBe('echo: hello bridge');
    expect(result.structuredContent).toMatchObject({
      text: 'echo: hello bridge',
      agentId: 'echo',
      finishReason: 'stop',
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      toolCalls: [],
      toolResults: [],
    });
    expect(result.structuredContent).not.toHaveProperty('threadId');
  });

  it('reports the tools the agent called and what they returned', async () => {
    const result = await call('ask_calculator', { message: 'add 2 and 3' });
    expect(textOf(result)).toBe('The tool said {"sum":5}.');
    expect(result.structuredContent).toMatchObject({
      toolCalls: [{ toolName: 'add', args: { a: 2, b: 3 } }],
      toolResults: [{ toolName: 'add', result: { sum: 5 }, isError: false }],
    });
  });

  it('reaches the agent whose id had to be rewritten', async () => {
    const { tools } = await bridge.client.listTools();
    const dotted = tools.find((t) => /^ask_team_alpha_[0-9a-f]{8}$/.test(t.name))!;
    const result = await call(dotted.name, { message: 'which one?' });
    expect(result.structuredContent).toMatchObject({ agentId: 'team.alpha', text: 'echo: which one?' });
  });

  it('continues a memory thread: the second call sees the first', async () => {
    const thread = { threadId: `thread-${Date.now()}`, resourceId: 'user-1' };
    await call('ask_notes', { message: 'my name is Ada', ...thread });
    const second = await call('ask_notes', { message: 'what is my name?', ...thread });
    expect(textOf(second)).toContain('my name is Ada');
    expect(textOf(second)).toContain('what is my name?');
    expect(second.structuredContent).toMatchObject(thread);
  });

  it('starts a new thread when only a resource is given, and returns its id to continue it', async () => {
    const first = await call('ask_notes', { message: 'remember 42', resourceId: 'user-2' });
    const threadId = (first.structuredContent as { threadId: string }).threadId;
    expect(threadId).toMatch(/[0-9a-f-]{36}/);
    const second = await call('ask_notes', { message: 'what number?', resourceId: 'user-2', threadId });
    expect(textOf(second)).toContain('remember 42');
  });

  it('passes requestContext to the agent', async () => {
    const result = await call('ask_whoami', { message: 'who?', requestContext: { tenant: 'acme' } });
    expect(textOf(result)).toBe('revealed: user=anonymous tenant=acme');
  });
});

describe('bad arguments', () => {
  /** The messages of the refused calls: a model request with any of them would be one of theirs. */
  const HI = 'hi, whatever else is wrong';
  const REFUSED = ['', '42', HI];
  it.each([
    [{}, 'message: message is required'],
    [{ message: '' }, 'message: message must not be empty'],
    [{ message: 42 }, 'message: message must be a string'],
    [{ message: HI, requestContext: 'tenant=acme' }, 'requestContext: requestContext must be an object'],
    [{ message: HI, threadId: 7 }, 'threadId:'],
  ])('%j is refused with a message naming the field', async (args, expected) => {
    const result = await call('ask_echo', args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('Invalid arguments for ask_echo');
    expect(textOf(result)).toContain(expected);
    await upstreamCaughtUp(stack.model, (marker) => call('ask_echo', { message: marker }));
    expect(stack.model.requests.filter((request) => REFUSED.includes(request.lastUserMessage))).toEqual([]);
  });

  it('an unknown tool is a protocol error', async () => {
    await expect(bridge.client.callTool({ name: 'ask_nobody', arguments: { message: 'hi' } })).rejects.toThrow(/Unknown tool "ask_nobody"/);
  });
});

describe('failures', () => {
  it("a failing model is an isError result with Mastra's words and what to do, and the run is sent to Mastra once", async () => {
    const message = marked('try');
    const result = await call('ask_broken', { message });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain('"broken"');
    expect(text).toContain(stack.mastra.url);
    expect(text).toContain('HTTP 500');
    expect(text).toContain(FAIL_MESSAGE);
    expect(text).toContain("check the Mastra server's logs");
    // client-js would retry a 5xx POST three times by default, running the agent four times.
    expect(stack.mastraRequestsCarrying(message).map(({ request }) => request)).toEqual(['POST /api/agents/broken/generate']);
  });

  it('an agent that no longer exists is a 404 that says so', async () => {
    const other = await stack.another({ omit: ['echo'] });
    const stale = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', callTo: other.url });
    try {
      const result = (await stale.client.callTool({ name: 'ask_echo', arguments: { message: 'hi' } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('no longer has agent "echo"');
      expect(textOf(result)).toContain('HTTP 404');
      expect(textOf(result)).toContain(other.url);
    } finally {
      await stale.close();
      await other.close();
    }
  });

  it('an unreachable Mastra is an isError result, and the server keeps serving', async () => {
    const deadUrl = `http://127.0.0.1:${await closedPort()}`;
    const down = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', callTo: deadUrl });
    try {
      const result = (await down.client.callTool({ name: 'ask_echo', arguments: { message: 'hi' } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`Cannot reach the Mastra server at ${deadUrl}`);
      expect(textOf(result)).toContain('ECONNREFUSED');
      expect(textOf(result)).toContain('Is Mastra running?');
      expect((await down.client.listTools()).tools.length).toBe(10);
    } finally {
      await down.close();
    }
  });
});

describe('secrecy', () => {
  it("no result carries the agents' system prompt", () => {
    expect(results.length).toBeGreaterThan(10);
    for (const result of results) expect(JSON.stringify(result)).not.toContain(SYSTEM_PROMPT_SECRET);
  });
});
