import { LOG_LEVEL_META_KEY } from '@modelcontextprotocol/client';
import { LoggingMessageNotificationSchema, type LoggingLevel, type LoggingMessageNotification } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { bridgeTransports, startStack, waitFor, type Bridge, type Stack } from './helpers.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

type Message = LoggingMessageNotification['params'];

/** What the test bodies need of a client's logging; the eras differ only in how the level is set. */
interface Logging {
  capability(): unknown;
  setLevel(level: LoggingLevel): Promise<void>;
  call(name: string, message: string): Promise<unknown>;
}

function loggingOf(bridge: Bridge, received: Message[]): Logging {
  const { modern } = bridge;
  if (modern) {
    // 2026-07-28: no logging/setLevel; each request names its level in `_meta`, and its messages come on its own stream.
    let level: LoggingLevel | undefined;
    modern.setNotificationHandler('notifications/message', (n) => void received.push(n.params as Message));
    return {
      capability: () => modern.getServerCapabilities()?.logging,
      setLevel: async (next) => void (level = next),
      call: (name, message) => modern.callTool({ name, arguments: { message }, ...(level ? { _meta: { [LOG_LEVEL_META_KEY]: level } } : {}) }),
    };
  }
  const client = bridge.client as Client;
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void received.push(n.params));
  return {
    capability: () => client.getServerCapabilities()?.logging,
    setLevel: async (level) => expect(await client.setLoggingLevel(level)).toEqual({}),
    call: (name, message) => client.callTool({ name, arguments: { message } }),
  };
}

// Over 2025 HTTP the messages travel on the session's GET stream, so each test waits for a message that the
// server sent after the ones it must not have sent: one stream keeps them in order.
describe.each(bridgeTransports)('MCP logging over $name', (transport) => {
  let bridge: Bridge;
  let logging: Logging;
  const received: Message[] = [];
  beforeAll(async () => {
    bridge = await transport.connect(stack.mastra.url);
    logging = loggingOf(bridge, received);
  });
  afterAll(async () => {
    await bridge?.close();
  });
  const messagesOf = (text: string) => received.filter((m) => (m.data as { message: string }).message.includes(text));

  it('declares the capability, sends nothing until the client sets a level, then at info: answers and failures, not starts', async () => {
    expect(logging.capability()).toEqual({});
    await logging.call('ask_echo', 'before any level');
    await logging.setLevel('info');
    await logging.call('ask_echo', `a private question ${SYSTEM_PROMPT_SECRET}`);
    await logging.call('ask_broken', 'fail please');
    await waitFor('the failure message', () => messagesOf('answered with an error').length);
    expect(messagesOf('answered in')).toEqual([
      {
        level: 'info',
        logger: 'mastra-agents-mcp',
        data: expect.objectContaining({ message: expect.stringMatching(/^agent "echo" answered in \d+ms$/), agentId: 'echo', tool: 'ask_echo' }),
      },
    ]);
    expect(messagesOf('answered with an error')).toEqual([expect.objectContaining({ level: 'warning', data: expect.objectContaining({ agentId: 'broken' }) })]);
    expect(messagesOf('calling agent')).toEqual([]);
  });

  it('at debug: also each start; at error: nothing of a successful call', async () => {
    await logging.setLevel('debug');
    await logging.call('ask_echo', 'watched');
    await waitFor('the answer message', () => messagesOf('answered in').length === 2);
    expect(messagesOf('calling agent "echo"')).toHaveLength(1);
    const before = received.length;
    await logging.setLevel('error');
    await logging.call('ask_echo', 'quiet');
    await logging.call('ask_broken', 'quiet failure');
    await logging.setLevel('debug');
    await logging.call('ask_calculator', 'add 1 and 1');
    await waitFor('the next start', () => messagesOf('calling agent "calculator"').length);
    expect(received.slice(before).map((m) => (m.data as { agentId: string }).agentId)).toEqual(expect.arrayContaining(['calculator']));
    expect(received.slice(before).filter((m) => (m.data as { agentId: string }).agentId !== 'calculator')).toEqual([]);
  });

  it('never carries the message, the answer or the system prompt', () => {
    const all = JSON.stringify(received);
    for (const secret of ['private question', 'echo: ', SYSTEM_PROMPT_SECRET, 'fail please', 'watched']) expect(all).not.toContain(secret);
  });
});
