import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { legacyBridgeTransports, startStack, waitFor, type LegacyBridge, type Stack } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

// Over HTTP the messages travel on the session's GET stream, so each test waits for a message that the
// server sent after the ones it must not have sent: one stream keeps them in order.
describe.each(legacyBridgeTransports)('MCP logging over $name', (transport) => {
  let bridge: LegacyBridge;
  const received: LoggingMessageNotification['params'][] = [];
  beforeAll(async () => {
    bridge = await transport.connect(stack.mastra.url);
    bridge.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void received.push(n.params));
  });
  afterAll(async () => {
    await bridge?.close();
  });
  const messagesOf = (text: string) => received.filter((m) => (m.data as { message: string }).message.includes(text));

  it('declares the capability, sends nothing until the client sets a level, then at info: answers and failures, not starts', async () => {
    expect(bridge.client.getServerCapabilities()?.logging).toEqual({});
    await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'before any level' } });
    expect(await bridge.client.setLoggingLevel('info')).toEqual({});
    await bridge.client.callTool({ name: 'ask_echo', arguments: { message: `a private question ${SYSTEM_PROMPT_SECRET}` } });
    await bridge.client.callTool({ name: 'ask_broken', arguments: { message: 'fail please' } });
    await waitFor('the failure message', () => messagesOf('answered with an error').length);
    expect(messagesOf('answered in')).toEqual([
      { level: 'info', logger: 'mastra-agents-mcp', data: expect.objectContaining({ message: expect.stringMatching(/^agent "echo" answered in \d+ms$/), agentId: 'echo', tool: 'ask_echo' }) },
    ]);
    expect(messagesOf('answered with an error')).toEqual([expect.objectContaining({ level: 'warning', data: expect.objectContaining({ agentId: 'broken' }) })]);
    expect(messagesOf('calling agent')).toEqual([]);
  });

  it('at debug: also each start; at error: nothing of a successful call', async () => {
    await bridge.client.setLoggingLevel('debug');
    await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'watched' } });
    await waitFor('the answer message', () => messagesOf('answered in').length === 2);
    expect(messagesOf('calling agent "echo"')).toHaveLength(1);
    const before = received.length;
    await bridge.client.setLoggingLevel('error');
    await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'quiet' } });
    await bridge.client.callTool({ name: 'ask_broken', arguments: { message: 'quiet failure' } });
    await bridge.client.setLoggingLevel('debug');
    await bridge.client.callTool({ name: 'ask_calculator', arguments: { message: 'add 1 and 1' } });
    await waitFor('the next start', () => messagesOf('calling agent "calculator"').length);
    expect(received.slice(before).map((m) => (m.data as { agentId: string }).agentId)).toEqual(expect.arrayContaining(['calculator']));
    expect(received.slice(before).filter((m) => (m.data as { agentId: string }).agentId !== 'calculator')).toEqual([]);
  });

  it('never carries the message, the answer or the system prompt', () => {
    const all = JSON.stringify(received);
    for (const secret of ['private question', 'echo: ', SYSTEM_PROMPT_SECRET, 'fail please', 'watched']) expect(all).not.toContain(secret);
  });
});
