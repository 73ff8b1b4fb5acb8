import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startStack, textOf, type Stack } from './helpers.js';
import { connectHttp, initializeRequest, postRpc, startHttpBridge } from './http-helpers.js';

let stack: Stack;
let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
beforeAll(async () => {
  stack = await startStack();
  bridge = await startHttpBridge(stack.mastra.url, { maxBody: 10_000 });
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await stack?.close();
});

/** fetch() will not let us set Host, so a raw request. */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('web safety of the HTTP transport', () => {
  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, before any session exists', async () => {
    const evilHost = await rawPost(bridge.url, { host: 'evil.example' }, JSON.stringify(initializeRequest));
    expect(evilHost.status).toBe(403);
    expect(JSON.parse(evilHost.text).error.message).toContain('Host "evil.example" is not allowed');
    const evilOrigin = await postRpc(bridge.url, initializeRequest, { origin: 'http://evil.example' });
    expect(evilOrigin.status).toBe(403);
    expect(await evilOrigin.text()).toContain('--allowed-origins');
    // Its own origin and the loopback names are fine.
    const port = new URL(bridge.url).port;
    expect((await postRpc(bridge.url, initializeRequest, { origin: `http://127.0.0.1:${port}` })).status).toBe(200);
    expect((await rawPost(bridge.url, { host: `localhost:${port}` }, JSON.stringify(initializeRequest))).status).toBe(200);
  });

  it('accepts the hosts and origins it is told to, and only those', async () => {
    const proxied = await startHttpBridge(stack.mastra.url, { allowedHosts: ['mcp.example.com'], allowedOrigins: ['https://app.example.com'] });
    const body = JSON.stringify(initializeRequest);
    expect((await rawPost(proxied.url, { host: 'mcp.example.com', origin: 'https://app.example.com' }, body)).status).toBe(200);
    expect((await rawPost(proxied.url, { host: 'mcp.example.com', origin: 'https://mcp.example.com' }, body)).status).toBe(403);
    expect((await rawPost(proxied.url, { host: new URL(proxied.url).host }, body)).status).toBe(403);
    await proxied.close();
  });

  it('refuses a body over the cap with 413, and still serves afterwards', async () => {
    const { client, transport } = await connectHttp(bridge.url);
    const big = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'ask_echo', arguments: { message: 'x'.repeat(20_000) } } };
    const before = stack.model.requests.length;
    const response = await postRpc(bridge.url, big, { 'mcp-session-id': transport.sessionId! });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('limited to 10000 bytes');
    expect(stack.model.requests.length).toBe(before);
    expect(textOf(await client.callTool({ name: 'ask_echo', arguments: { message: 'small' } }))).toBe('echo: small');
    await client.close();
  });

  it('answers a body that is not JSON with 400 and the JSON-RPC parse error code', async () => {
    const response = await rawPost(bridge.url, {}, '{"jsonrpc": "2.0", "method": ');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
  });

  it('answers JSON that is not a JSON-RPC message with 400 and -32600 Invalid Request, in a session or not', async () => {
    const { client, transport } = await connectHttp(bridge.url);
    for (const headers of [{}, { 'mcp-session-id': transport.sessionId! }] as Record<string, string>[]) {
      for (const body of [{ hello: 'world' }, [], { jsonrpc: '2.0', id: 1 }, 42]) {
        const response = await rawPost(bridge.url, headers, JSON.stringify(body));
        expect(response.status).toBe(400);
        expect(JSON.parse(response.text)).toMatchObject({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: expect.stringContaining('Invalid Request') },
        });
      }
    }
    await client.close();
  });

  it('refuses a malformed Authorization header with 403, never echoing it', async () => {
    const response = await postRpc(bridge.url, initializeRequest, { authorization: 'Basic c2VjcmV0LXZhbHVl' });
    expect(response.status).toBe(403);
    expect(await response.text()).not.toContain('c2VjcmV0LXZhbHVl');
  });

  it('answers GET /healthz and /readyz as JSON', async () => {
    const origin = new URL(bridge.url).origin;
    const health = await fetch(`${origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${origin}/readyz`);
    expect(ready.status).toBe(200);
    // What needs JWT_TOKEN: without it, each caller with a token sees its own listing; token-less sessions use none.
    expect(await ready.json()).toEqual({
      status: 'ready',
      agents: 10,
      workflows: 0,
      catalogueLoaded: true,
      mastraReachable: true,
      serviceToken: false,
      catalogue: 'per-caller',
      tokenless: 'allowed',
      taskStore: { kind: 'memory' },
    });
    expect((await fetch(`${origin}/elsewhere`)).status).toBe(404);
  });

  it('/readyz answers 503 while Mastra is unreachable', async () => {
    const deadUrl = `http://127.0.0.1:${await closedPort()}`;
    const lonely = await startHttpBridge(stack.mastra.url, { baseUrl: deadUrl });
    const ready = await fetch(`${new URL(lonely.url).origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not ready', mastraReachable: false });
    await lonely.close();
  });
});
