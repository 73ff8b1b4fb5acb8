import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy } from 'proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES } from './support/mcp-clients.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

/** A real forward proxy on loopback: what it carried (`METHOD url` forwarded, `CONNECT host:port` tunnelled), and a stop that cuts every connection. */
async function startProxy(): Promise<{ url: string; carried: string[]; stop(): Promise<void> }> {
  const proxy = createProxy(createServer());
  const carried: string[] = [];
  // Its clients' connections, tunnels included (closeAllConnections leaves a tunnel open).
  const sockets = new Set<Socket>();
  proxy.on('request', (request) => carried.push(`${request.method} ${request.url}`));
  proxy.on('connect', (request) => carried.push(`CONNECT ${request.url}`));
  proxy.on('connection', (socket: Socket) => sockets.add(socket.once('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    carried,
    stop: async () => {
      if (!proxy.listening) return;
      const closed = new Promise((resolve) => proxy.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

const textOf = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');

// Node's NODE_USE_ENV_PROXY with HTTP_PROXY: a bridge whose way out is a proxy reaches Mastra through it with plain calls
// and with streamed calls (progress) alike. Proved both ways: the proxy carries the calls, and once it is gone no call
// gets through around it.
describe.each(ERA_CASES)('a proxy named by the environment, $name', ({ era }) => {
  it('carries plain and streamed calls to Mastra, and no call goes around it', async () => {
    const proxy = await startProxy();
    const bridge = await startBridge({
      transport: 'stdio',
      era,
      mastraUrl: stack.mastra.url,
      env: { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: proxy.url, NO_PROXY: '' },
    });
    const call = async (message: string, streamed: boolean) => {
      const options = streamed ? { onprogress: () => {} } : undefined;
      return (await bridge.client.callTool({ name: 'ask_echo', arguments: { message } }, undefined, options)) as CallToolResult;
    };
    // Which route Mastra saw: the progress itself may not reach the test (the SDK clients drop one read with the answer).
    const routesOf = (message: string) => stack.mastraRequestsCarrying(message).map((logged) => logged.request);
    try {
      const [plain, streamed] = [`plain through the proxy (${era})`, `streamed through the proxy (${era})`];
      expect(textOf(await call(plain, false))).toContain(`echo: ${plain}`);
      expect(routesOf(plain)).toEqual(['POST /api/agents/echo/generate']);
      expect(textOf(await call(streamed, true))).toContain(`echo: ${streamed}`);
      expect(routesOf(streamed)).toEqual(['POST /api/agents/echo/stream']);
      expect(proxy.carried.length).toBeGreaterThan(0);
      await proxy.stop();
      for (const streamedCall of [false, true]) {
        const message = `with the proxy gone (${era}, ${streamedCall ? 'streamed' : 'plain'})`;
        const result = await call(message, streamedCall);
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain('Cannot reach the Mastra server');
        expect(stack.requestsFor(message)).toEqual([]);
      }
    } finally {
      await bridge.close();
      await proxy.stop();
    }
  });
});
