import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, MODERN_VERSION, startStack, waitFor, type Stack } from './helpers.js';
import { initializeRequest, postRpc, startHttpBridge } from './http-helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const call = (id: number, name: string, message: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { message } } });
const SLOW_ANSWER = 'word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 ';
const modelSaw = (message: string) => stack.model.requests.some((request) => request.lastUserMessage === message);

describe('a request id reused while its request runs', () => {
  it('over HTTP: the second is refused with -32600 on its own response, and each keeps its own answer', async () => {
    const bridge = await startHttpBridge(stack.mastra.url);
    const opened = await postRpc(bridge.url, initializeRequest);
    await opened.body?.cancel();
    const headers = { 'mcp-session-id': opened.headers.get('mcp-session-id')! };
    const first = postRpc(bridge.url, call(5, 'ask_slow', 'http first'), headers);
    await waitFor('the first run to reach the model', () => modelSaw('http first'));
    const second = await postRpc(bridge.url, call(5, 'ask_echo', 'http second'), headers);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ jsonrpc: '2.0', id: 5, error: { code: -32600, message: expect.stringContaining('id 5 is already used') } });
    expect(await (await first).json()).toMatchObject({ id: 5, result: { content: [{ type: 'text', text: SLOW_ANSWER }] } });
    expect(modelSaw('http second')).toBe(false);
    // Answered, the id is free again.
    const again = await postRpc(bridge.url, call(5, 'ask_echo', 'http third'), headers);
    expect(await again.json()).toMatchObject({ id: 5, result: { content: [{ text: 'echo: http third' }] } });
    await bridge.close({ graceMs: 0 });
  });

  it('over stdio: the second is refused with -32600, and never runs', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const answers: { id?: number; result?: { content: { text: string }[] }; error?: { code: number; message: string } }[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => answers.push(JSON.parse(line)));
    const send = (message: unknown) => child.stdin!.write(`${JSON.stringify(message)}\n`);
    send(initializeRequest);
    await waitFor('the initialize answer', () => answers.length === 1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send(call(5, 'ask_slow', 'stdio first'));
    await waitFor('the first run to reach the model', () => modelSaw('stdio first'));
    send(call(5, 'ask_echo', 'stdio second'));
    await waitFor('both answers', () => answers.length === 3);
    expect(answers.slice(1)).toMatchObject([
      { id: 5, error: { code: -32600, message: expect.stringContaining('id 5 is already used') } },
      { id: 5, result: { content: [{ text: SLOW_ANSWER }] } },
    ]);
    expect(modelSaw('stdio second')).toBe(false);
    child.kill();
  });

  it('over stdio in 2026-07-28: the second is refused with -32600, and never runs', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const answers: { id?: number; result?: { content: { text: string }[] }; error?: { code: number; message: string } }[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => answers.push(JSON.parse(line)));
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const send = (message: { params: Record<string, unknown> }) =>
      child.stdin!.write(`${JSON.stringify({ ...message, params: { ...message.params, _meta: envelope } })}\n`);
    send(call(5, 'ask_slow', 'modern stdio first'));
    await waitFor('the first run to reach the model', () => modelSaw('modern stdio first'));
    send(call(5, 'ask_echo', 'modern stdio second'));
    await waitFor('both answers', () => answers.length === 2);
    expect(answers).toMatchObject([
      { id: 5, error: { code: -32600, message: expect.stringContaining('id 5 is already used') } },
      { id: 5, result: { content: [{ text: SLOW_ANSWER }] } },
    ]);
    expect(modelSaw('modern stdio second')).toBe(false);
    child.kill();
  });
});
