import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { initializeRequest, postRpc } from './support/raw-http.js';
import { modernEnvelope } from './support/raw-stdio.js';
import { waitFor } from './support/waiting.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const call = (id: number, name: string, message: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { message } } });
const SLOW_ANSWER = 'word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 ';
const modelSaw = (message: string) => stack.requestsFor(message).length > 0;
/** The two calls of a test, by messages no other test sends. */
const calls = (what: string) => [marked(`${what} first`), marked(`${what} second`), marked(`${what} third`)] as const;

describe('a request id reused while its request runs', () => {
  it('over HTTP: the second is refused with -32600 on its own response, and each keeps its own answer', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
    const [first, second, third] = calls('http');
    const opened = await postRpc(bridge.url, initializeRequest);
    await opened.body?.cancel();
    const headers = { 'mcp-session-id': opened.headers.get('mcp-session-id')! };
    const running = postRpc(bridge.url, call(5, 'ask_slow', first), headers);
    await waitFor('the first run to reach the model', () => modelSaw(first));
    const refused = await postRpc(bridge.url, call(5, 'ask_echo', second), headers);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ jsonrpc: '2.0', id: 5, error: { code: -32600, message: expect.stringContaining('id 5 is already used') } });
    expect(await (await running).json()).toMatchObject({ id: 5, result: { content: [{ type: 'text', text: SLOW_ANSWER }] } });
    // Answered, the id is free again; that call reaches the model after anything the refused one could have sent.
    const again = await postRpc(bridge.url, call(5, 'ask_echo', third), headers);
    expect(await again.json()).toMatchObject({ id: 5, result: { content: [{ text: `echo: ${third}` }] } });
    expect(modelSaw(second)).toBe(false);
    await bridge.close();
  });

  it('over stdio: the second is refused with -32600, and never runs', async () => {
    const bin = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', client: 'raw', env: { LOG_LEVEL: 'warn' } });
    const { messages: answers, send } = bin.raw;
    const [first, second] = calls('stdio');
    send(initializeRequest);
    await waitFor('the initialize answer', () => answers.length === 1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send(call(5, 'ask_slow', first));
    await waitFor('the first run to reach the model', () => modelSaw(first));
    send(call(5, 'ask_echo', second));
    await waitFor('both answers', () => answers.length === 3);
    expect(answers.slice(1)).toMatchObject([
      { id: 5, error: { code: -32600, message: expect.stringContaining('id 5 is already used') } },
      { id: 5, result: { content: [{ text: SLOW_ANSWER }] } },
    ]);
    expect(modelSaw(second)).toBe(false);
    await bin.close();
  });

  it('over stdio in 2026-07-28: the second is refused with -32600, and never runs', async () => {
    const bin = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', client: 'raw', era: 'modern', env: { LOG_LEVEL: 'warn' } });
    const { messages: answers } = bin.raw;
    const [first, second] = calls('modern stdio');
    const send = (message: { params: Record<string, unknown> }) => bin.raw.send({ ...message, params: { ...message.params, _meta: modernEnvelope() } });
    send(call(5, 'ask_slow', first));
    await waitFor('the first run to reach the model', () => modelSaw(first));
    send(call(5, 'ask_echo', second));
    await waitFor('both answers', () => answers.length === 2);
    expect(answers).toMatchObject([
      { id: 5, error: { code: -32600, message: expect.stringContaining('id 5 is already used') } },
      { id: 5, result: { content: [{ text: SLOW_ANSWER }] } },
    ]);
    expect(modelSaw(second)).toBe(false);
    await bin.close();
  });
});
