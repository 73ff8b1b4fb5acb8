import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy } from 'proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';

let stack: Stack;
let proxyUrl: string;
/** What the proxy carried: `METHOD url` of each request it forwarded, and `CONNECT host:port` of each tunnel (fetch's way). */
const carried: string[] = [];
const proxy = createProxy(createServer());
/** Its clients' connections, tunnels included (closeAllConnections leaves a tunnel open). */
const sockets = new Set<Socket>();

beforeAll(async () => {
  stack = await startStack();
  proxy.on('request', (request) => carried.push(`${request.method} ${request.url}`));
  proxy.on('connect', (request) => carried.push(`CONNECT ${request.url}`));
  proxy.on('connection', (socket: Socket) => sockets.add(socket.once('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (proxy.listening) await stopProxy();
  await stack?.close();
});

async function stopProxy(): Promise<void> {
  const closed = new Promise((resolve) => proxy.close(resolve));
  for (const socket of sockets) socket.destroy();
  await closed;
}

const textOf = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');

// Node's NODE_USE_ENV_PROXY with HTTP_PROXY: a bridge whose way out is a proxy reaches Mastra through it on every path,
// the plain call (fetch) and the streamed call for progress (node:http, kernel/mastra-fetch.ts) alike. Proved both ways:
// the proxy carries the calls, and once it is gone no call gets through around it.
describe('a proxy named by the environment', () => {
  it('carries plain and streamed calls to Mastra, and no call goes around it', async () => {
    const bridge = await startBridge({ transport: 'stdio', mastraUrl: stack.mastra.url, env: { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxyUrl, NO_PROXY: '' } });
    const call = async (message: string, streamed: boolean) => {
      const progress: string[] = [];
      const options = streamed ? { onprogress: ({ message }: { message?: string }) => void progress.push(message ?? '') } : undefined;
      const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message } }, undefined, options)) as CallToolResult;
      return { result, progress };
    };
    try {
      const plain = await call('plain through the proxy', false);
      expect(textOf(plain.result)).toContain('echo: plain through the proxy');
      const streamed = await call('streamed through the proxy', true);
      expect(textOf(streamed.result)).toContain('echo: streamed through the proxy');
      expect(streamed.progress.length).toBeGreaterThan(0);
      expect(carried.length).toBeGreaterThan(0);
      await stopProxy();
      for (const streamedCall of [false, true]) {
        const { result } = await call(`with the proxy gone (${streamedCall ? 'streamed' : 'plain'})`, streamedCall);
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain('Cannot reach the Mastra server');
      }
      expect(stack.requestsFor('with the proxy gone (plain)')).toEqual([]);
      expect(stack.requestsFor('with the proxy gone (streamed)')).toEqual([]);
    } finally {
      await bridge.close();
    }
  });
});
