import { Client, ProtocolError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { MODERN_VERSION, textOf } from './support/mcp-clients.js';
import { postModern, postRpc } from './support/raw-http.js';
import { modernEnvelope } from './support/raw-stdio.js';
import { closedPort, upstreamCaughtUp, waitFor } from './support/waiting.js';

const SECRET = 'modern-http-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });
const service = signJwt(SECRET, { sub: 'service-user' });

let stack: Stack;
let bridge: Bridge;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', serviceToken: service });
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

const envelope = (version = MODERN_VERSION) => ({ ...modernEnvelope(), 'io.modelcontextprotocol/protocolVersion': version });

/** A raw 2026-07-28 request with the headers a conforming client sends, which a test may override; `params._meta` replaces the envelope. */
async function modernRpc(method: string, params: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const { _meta, ...rest } = params;
  const response = await postModern(bridge.url, method, rest, { headers, meta: (_meta as Record<string, unknown> | undefined) ?? envelope() });
  return {
    status: response.status,
    body: (await response.json()) as { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } },
  };
}

/** A 2026-07-28 client of the file's bridge, closed with it. */
const connectModern = async (token?: string) => (await bridge.connect({ era: 'modern', token })).modern!;

/** A marked call through the file's bridge, after which nothing a refused request set off can still be on its way to the model. */
const caughtUp = () => upstreamCaughtUp(stack.model, async (marker) => (await connectModern()).callTool({ name: 'ask_echo', arguments: { message: marker } }));

/** The message of every refused call: none may ever reach the model. */
const REFUSED = marked('refused');

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
      () => modernRpc('tools/call', { name: 'ask_echo', arguments: { message: REFUSED } }, { 'mcp-name': 'ask_notes' }),
      400,
      -32020,
    ],
    ['a version header without the envelope', () => modernRpc('tools/list', { _meta: {} }), 400, -32602],
  ])('refuses %s with a clear error, and runs nothing', async (_, send, status, code) => {
    const { status: got, body } = await send();
    expect(got).toBe(status);
    expect(body.error?.code).toBe(code);
    expect(body.error?.message).toMatch(/\w{4}/);
    await caughtUp();
    expect(stack.requestsFor(REFUSED)).toEqual([]);
  });

  it('answers a request with no session and no envelope (not initialize) with 400 naming both ways in, and runs nothing', async () => {
    const message = marked('no way in');
    const response = await postRpc(bridge.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'ask_echo', arguments: { message } } });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'send initialize to open a 2025-11-25 session, or a 2026-07-28 request with its _meta envelope',
    );
    await caughtUp();
    expect(stack.requestsFor(message)).toEqual([]);
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
  });

  it('a token Mastra refuses gets 403 before anything is listed or run, and the token is never echoed', async () => {
    const token = marked('not-a-jwt');
    const refused = { authorization: `Bearer ${token}` };
    const listed = await modernRpc('tools/list', {}, refused);
    const called = await modernRpc('tools/call', whoami('x'), refused);
    for (const { status, body } of [listed, called]) {
      expect(status).toBe(403);
      expect(body.result).toBeUndefined();
      expect(body.error?.message).toMatch(/refused/i);
      expect(JSON.stringify(body)).not.toContain(token);
    }
    // Mastra was asked to check the token (a listing), and nothing was run with it.
    await caughtUp();
    expect(stack.mastraRequestsCarrying(token).filter(({ request }) => request.startsWith('POST '))).toEqual([]);
  });

  it('serves a 2025-11-25 session and a 2026-07-28 client side by side on the same URL', async () => {
    const legacy = await bridge.connect({ token: alice });
    const modern = (await bridge.connect({ era: 'modern', token: bob })).client;
    const [a, b] = await Promise.all([legacy.client.callTool(whoami('old')), modern.callTool(whoami('new'))]);
    expect(textOf(a)).toBe('revealed: user=alice tenant=old');
    expect(textOf(b)).toBe('revealed: user=bob tenant=new');
    expect((await legacy.client.listTools()).tools.map((t) => t.name)).toEqual((await modern.listTools()).tools.map((t) => t.name));
  });

  it('tells an open subscriptions/listen stream when Mastra gains an agent', async () => {
    const port = await closedPort();
    const first = await stack.another({ port, omit: ['echo'] });
    const own = await startBridge({ mastraUrl: first.url, transport: 'http', era: 'modern' });
    try {
      let changes = 0;
      own.modern.setNotificationHandler('notifications/tools/list_changed', () => void changes++);
      const subscription = await own.modern.listen({ toolsListChanged: true });
      expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true });
      await first.close();
      await stack.another({ port });
      // The first listing may meet the old server's closed keep-alive socket; the bridge's refresher retries the same way.
      await waitFor('a listing that finds the new agent', async () => (await own.catalogue!.refresh().catch(() => undefined))?.changed);
      await waitFor('notifications/tools/list_changed on the listen stream', () => changes === 1);
      await subscription.close();
    } finally {
      await own.close();
    }
  });
});

describe('shutdown with 2026-07-28 clients', () => {
  it('ends open subscriptions/listen streams at once instead of waiting out the grace period for them', async () => {
    const own = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', era: 'modern', serviceToken: alice });
    const subscription = await own.modern.listen({ toolsListChanged: true });
    const startedAt = Date.now();
    await own.close({ graceMs: 5_000 });
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(await subscription.closed).not.toBe('local');
  });

  it('after the grace period answers each call still running with its JSON-RPC error on its own stream, then aborts it upstream', async () => {
    const own = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', era: 'modern', serviceToken: alice });
    const client = own.modern;
    const failure = (error: unknown) => (error instanceof ProtocolError ? `MCP ${error.code}: ${error.message}` : `not an MCP error: ${String(error)}`);
    // One answered with a JSON body, one on an event stream (it asks for progress).
    const [plainMessage, streamedMessage] = [marked('modern plain'), marked('modern streamed')];
    const plain = client.callTool({ name: 'ask_slow', arguments: { message: plainMessage } }).then(() => 'answered', failure);
    const streamed = client.callTool({ name: 'ask_slow', arguments: { message: streamedMessage } }, { onprogress: () => {} }).then(() => 'answered', failure);
    const upstream = await Promise.all([stack.requestFor(plainMessage), stack.requestFor(streamedMessage)]);
    expect(upstream.map((r) => r.endedAt)).toEqual([undefined, undefined]);
    await own.close({ graceMs: 100 });
    for (const outcome of [await plain, await streamed]) expect(outcome).toMatch(/^MCP -32000: .*The bridge is shutting down: this call was stopped/);
    await waitFor('the upstream requests to end', () => upstream.every((r) => r.endedAt !== undefined));
    expect(upstream.map((r) => r.aborted)).toEqual([true, true]);
  });
});
