import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMastraFixture } from './fixture/mastra-app.js';
import { asBridgeClient, closedPort, MODERN_VERSION, modernClient, startStack, textOf, waitFor, type Stack } from './helpers.js';
import { connectHttp, postRpc, signJwt, startHttpBridge } from './http-helpers.js';

const SECRET = 'modern-http-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });

let stack: Stack;
let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startHttpBridge(stack.mastra.url, { serviceToken: signJwt(SECRET, { sub: 'service-user' }) });
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await stack?.close();
});

const envelope = (version = MODERN_VERSION) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
});

/** A raw 2026-07-28 request with the headers a conforming client sends, which a test may override. */
async function modernRpc(method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(bridge.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': method,
      ...(typeof params.name === 'string' ? { 'mcp-name': params.name } : {}),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { _meta: envelope(), ...params } }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } },
  };
}

async function connectModern(token?: string) {
  const client = modernClient();
  await client.connect(new StreamableHTTPClientTransport(new URL(bridge.url), token ? { requestInit: { headers: { Authorization: `Bearer ${token}` } } } : {}));
  return client;
}

const whoami = (tenant: string) => ({ name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant } } });

describe('MCP 2026-07-28 on /mcp', () => {
  it('answers server/discover with 2026-07-28 only, the tools capability and the tasks extension', async () => {
    const { status, body } = await modernRpc('server/discover');
    expect(status).toBe(200);
    expect(body.result).toMatchObject({
      supportedVersions: [MODERN_VERSION],
      capabilities: { tools: { listChanged: true }, extensions: { 'io.modelcontextprotocol/tasks': {} } },
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'mastra-agents-mcp', title: 'Mastra agents' } },
    });
  });

  it("is found by a v2 client's 'auto' negotiation, which a 2025-only server would answer with initialize", async () => {
    const client = new Client({ name: 'auto', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL(bridge.url)));
    expect(client.getProtocolEra()).toBe('modern');
    expect(textOf(await client.callTool({ name: 'ask_echo', arguments: { message: 'auto' } }))).toBe('echo: auto');
    await client.close();
  });

  it('lists with cache hints: public without credentials, private for a request that carried a token', async () => {
    const anonymous = await modernRpc('tools/list');
    expect(anonymous.body.result).toMatchObject({ resultType: 'complete', ttlMs: 60_000, cacheScope: 'public' });
    const withToken = await modernRpc('tools/list', {}, { authorization: `Bearer ${alice}` });
    expect(withToken.body.result).toMatchObject({ ttlMs: 60_000, cacheScope: 'private' });
    expect((withToken.body.result!.tools as unknown[]).length).toBe(10);
  });

  it.each([
    ['an unknown method', () => modernRpc('tools/frobnicate'), 404, -32601],
    ['an unsupported version', () => modernRpc('tools/list', { _meta: envelope('2027-01-01') }, { 'mcp-protocol-version': '2027-01-01' }), 400, -32022],
    ['a Mcp-Method header that names another method', () => modernRpc('tools/list', {}, { 'mcp-method': 'tools/call' }), 400, -32020],
    [
      'a Mcp-Name header that names another tool',
      () => modernRpc('tools/call', { name: 'ask_echo', arguments: { message: 'x' } }, { 'mcp-name': 'ask_notes' }),
      400,
      -32020,
    ],
    ['a version header without the envelope', () => modernRpc('tools/list', { _meta: {} }), 400, -32602],
  ])('refuses %s with a clear error, and runs nothing', async (_, send, status, code) => {
    const before = stack.model.requests.length;
    const { status: got, body } = await send();
    expect(got).toBe(status);
    expect(body.error?.code).toBe(code);
    expect(body.error?.message).toMatch(/\w{4}/);
    expect(stack.model.requests.length).toBe(before);
  });

  it('answers a request with no session and no envelope (not initialize) with 400 naming both ways in, and runs nothing', async () => {
    const before = stack.model.requests.length;
    const response = await postRpc(bridge.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask_echo', arguments: { message: 'x' } } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'send initialize to open a 2025-11-25 session, or a 2026-07-28 request with its _meta envelope',
    );
    expect(stack.model.requests.length).toBe(before);
  });

  it('names the unknown tool and what to do, as invalid params', async () => {
    const { body } = await modernRpc('tools/call', { name: 'ask_nobody', arguments: { message: 'x' } });
    expect(body.error?.code).toBe(-32602);
    expect(body.error?.message).toContain('Unknown tool "ask_nobody": list the tools again');
  });

  it('calls Mastra with the token of each request: two users interleaved without sessions, 0 mismatches', async () => {
    const clients = { alice: await connectModern(alice), bob: await connectModern(bob) };
    const calls = Array.from({ length: 24 }, (_, i) => {
      const user = i % 2 ? 'bob' : 'alice';
      return clients[user].callTool(whoami(`t${i}`)).then((result) => ({ user, i, text: textOf(result) }));
    });
    const answers = await Promise.all(calls);
    expect(answers.filter(({ user, i, text }) => text !== `revealed: user=${user} tenant=t${i}`)).toEqual([]);
    for (const client of Object.values(clients)) await client.close();
  });

  it('a token Mastra refuses gets 403 before anything is listed or run, and the token is never echoed', async () => {
    const runsBefore = stack.mastra.requests.filter((r) => r.startsWith('POST ')).length;
    const refused = { authorization: 'Bearer not-a-jwt' };
    const listed = await modernRpc('tools/list', {}, refused);
    const called = await modernRpc('tools/call', whoami('x'), refused);
    for (const { status, body } of [listed, called]) {
      expect(status).toBe(403);
      expect(body.result).toBeUndefined();
      expect(body.error?.message).toMatch(/refused/i);
      expect(JSON.stringify(body)).not.toContain('not-a-jwt');
    }
    expect(stack.mastra.requests.filter((r) => r.startsWith('POST ')).length).toBe(runsBefore);
  });

  it('serves a 2025-11-25 session and a 2026-07-28 client side by side on the same URL', async () => {
    const legacy = await connectHttp(bridge.url, alice);
    const modern = asBridgeClient(await connectModern(bob));
    const [a, b] = await Promise.all([legacy.client.callTool(whoami('old')), modern.callTool(whoami('new'))]);
    expect(textOf(a)).toBe('revealed: user=alice tenant=old');
    expect(textOf(b)).toBe('revealed: user=bob tenant=new');
    expect((await legacy.client.listTools()).tools.map((t) => t.name)).toEqual((await modern.listTools()).tools.map((t) => t.name));
    await legacy.client.close();
    await modern.close();
  });

  it('tells an open subscriptions/listen stream when Mastra gains an agent', async () => {
    const port = await closedPort();
    let mastra = await startMastraFixture({ modelUrl: stack.model.url, port, omit: ['echo'] });
    const own = await startHttpBridge(mastra.url);
    const client = modernClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(own.url)));
    try {
      let changes = 0;
      client.setNotificationHandler('notifications/tools/list_changed', () => void changes++);
      const subscription = await client.listen({ toolsListChanged: true });
      expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true });
      await mastra.close();
      mastra = await startMastraFixture({ modelUrl: stack.model.url, port });
      // The first listing may meet the old server's closed keep-alive socket; the bridge's refresher retries the same way.
      await waitFor('a listing that finds the new agent', async () => (await own.catalogue.refresh().catch(() => undefined))?.changed);
      await waitFor('notifications/tools/list_changed on the listen stream', () => changes === 1);
      await subscription.close();
    } finally {
      await client.close();
      await own.close({ graceMs: 0 });
      await mastra.close();
    }
  });
});

describe('shutdown with 2026-07-28 clients', () => {
  it('ends open subscriptions/listen streams at once instead of waiting out the grace period for them', async () => {
    const own = await startHttpBridge(stack.mastra.url, { serviceToken: alice });
    const client = modernClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(own.url)));
    const subscription = await client.listen({ toolsListChanged: true });
    const startedAt = Date.now();
    await own.close({ graceMs: 5_000 });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(await subscription.closed).not.toBe('local');
    await client.close();
  });

  it('after the grace period answers each call still running with its JSON-RPC error on its own stream, then aborts it upstream', async () => {
    const own = await startHttpBridge(stack.mastra.url, { serviceToken: alice });
    const client = modernClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(own.url)));
    const failure = (error: unknown) => (error instanceof ProtocolError ? `MCP ${error.code}: ${error.message}` : `not an MCP error: ${String(error)}`);
    // One answered with a JSON body, one on an event stream (it asks for progress).
    const plain = client.callTool({ name: 'ask_slow', arguments: { message: 'modern plain' } }).then(() => 'answered', failure);
    const streamed = client.callTool({ name: 'ask_slow', arguments: { message: 'modern streamed' } }, { onprogress: () => {} }).then(() => 'answered', failure);
    const upstreamOf = () => stack.model.requests.filter((r) => r.lastUserMessage?.startsWith('modern ') && r.endedAt === undefined);
    await waitFor('both slow runs to start', () => upstreamOf().length === 2);
    const upstream = upstreamOf();
    await own.close({ graceMs: 100 });
    for (const outcome of [await plain, await streamed]) expect(outcome).toMatch(/^MCP -32000: .*The bridge is shutting down: this call was stopped/);
    await waitFor('the upstream requests to end', () => upstream.every((r) => r.endedAt !== undefined));
    expect(upstream.map((r) => r.aborted)).toEqual([true, true]);
    await client.close();
  });
});
