import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, textOf, waitFor, type Stack } from './helpers.js';
import { connectHttp, initializeRequest, postRpc, signJwt, startHttpBridge } from './http-helpers.js';

const SECRET = 'http-sessions-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });
const service = signJwt(SECRET, { sub: 'service-user' });

let stack: Stack;
let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startHttpBridge(stack.mastra.url, { serviceToken: service });
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await stack?.close();
});

const whoami = (tenant: string) => ({ name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant } } });

describe('HTTP sessions and tokens', () => {
  it('each session calls Mastra as its own user, with dozens of concurrent calls and no mix-up', async () => {
    const sessions = {
      alice: await connectHttp(bridge.url, alice),
      bob: await connectHttp(bridge.url, bob),
      'service-user': await connectHttp(bridge.url),
    };
    const calls = Array.from({ length: 36 }, (_, i) => {
      const user = (['alice', 'bob', 'service-user'] as const)[i % 3]!;
      return sessions[user].client.callTool(whoami(`t${i}`)).then((result) => ({ user, i, text: textOf(result) }));
    });
    const answers = await Promise.all(calls);
    const mismatches = answers.filter(({ user, i, text }) => text !== `revealed: user=${user} tenant=t${i}`);
    expect(mismatches).toEqual([]);
    expect(answers).toHaveLength(36);
    for (const { client } of Object.values(sessions)) await client.close();
  });

  it("refuses a request on session A's id with B's token, or none, and runs nothing upstream", async () => {
    const a = await connectHttp(bridge.url, alice);
    const sessionId = a.transport.sessionId!;
    const before = stack.model.requests.length;
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: whoami('stolen') };

    const withB = await postRpc(bridge.url, call, { 'mcp-session-id': sessionId, authorization: `Bearer ${bob}` });
    expect(withB.status).toBe(403);
    const withBText = await withB.text();
    expect(withBText).toContain('another token');
    expect(withBText).not.toContain(bob);
    const withNone = await postRpc(bridge.url, call, { 'mcp-session-id': sessionId });
    // 403, not 401: MCP clients answer a 401 with an OAuth flow that Mastra tokens cannot satisfy.
    expect(withNone.status).toBe(403);
    expect(withNone.headers.get('www-authenticate')).toBeNull();
    expect(await withNone.text()).toContain('send the same token with each request');

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.model.requests.length).toBe(before);
    // A's own token still works on A's session.
    expect(textOf(await a.client.callTool(whoami('mine')))).toBe('revealed: user=alice tenant=mine');
    await a.client.close();
  });

  it('refuses a token on a session opened without one', async () => {
    const anonymous = await connectHttp(bridge.url);
    const response = await postRpc(
      bridge.url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': anonymous.transport.sessionId!, authorization: `Bearer ${alice}` },
    );
    expect(response.status).toBe(403);
    await anonymous.client.close();
  });

  it('DELETE ends a session; its id then answers 404', async () => {
    const { client, transport } = await connectHttp(bridge.url, alice);
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    const after = await postRpc(bridge.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-session-id': sessionId, authorization: `Bearer ${alice}` });
    expect(after.status).toBe(404);
    expect(await after.text()).toContain('Session not found');
    await client.close();
  });

  it('DELETE of a session mid-call aborts its agent run upstream at once, and sends nothing more for it', async () => {
    const { client, transport } = await connectHttp(bridge.url, alice);
    const call = client.callTool({ name: 'ask_slow', arguments: { message: 'delete me' } }).catch((error: unknown) => error);
    await waitFor('the call to reach the model', () => stack.model.requests.some((r) => r.lastUserMessage === 'delete me' && r.endedAt === undefined));
    const upstream = stack.model.requests.find((r) => r.lastUserMessage === 'delete me')!;
    const deletedAt = Date.now();
    // A second client deletes the session, as a user closing the IDE tab would; the first is still waiting.
    const terminate = await fetch(bridge.url, { method: 'DELETE', headers: { 'mcp-session-id': transport.sessionId!, authorization: `Bearer ${alice}` } });
    expect(terminate.status).toBe(200);
    await waitFor('the upstream request to end', () => upstream.endedAt !== undefined);
    expect(upstream.aborted).toBe(true);
    expect(upstream.endedAt! - deletedAt).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.model.requests.filter((r) => r.lastUserMessage === 'delete me')).toHaveLength(1);
    await client.close();
    await call;
  });

  it('closing the bridge after the grace period answers each call still running with its JSON-RPC error, then aborts it upstream', async () => {
    const short = await startHttpBridge(stack.mastra.url, { serviceToken: service });
    const { client } = await connectHttp(short.url, alice);
    const failure = (error: unknown) => (error instanceof McpError ? `MCP ${error.code}: ${error.message}` : `not an MCP error: ${String(error)}`);
    // One answered with a JSON body, one on an event stream (it asks for progress).
    const plain = client.callTool({ name: 'ask_slow', arguments: { message: 'plain' } }).then(() => 'answered', failure);
    const streamed = client
      .callTool({ name: 'ask_slow', arguments: { message: 'streamed' } }, undefined, { onprogress: () => {} })
      .then(() => 'answered', failure);
    await waitFor('both slow runs to start', () => stack.model.requests.filter((r) => r.model === 'slow-150' && r.endedAt === undefined).length === 2);
    const upstream = stack.model.requests.filter((r) => r.model === 'slow-150' && r.endedAt === undefined);
    await short.close({ graceMs: 100 });
    for (const outcome of [await plain, await streamed]) expect(outcome).toMatch(/^MCP -32000: .*The bridge is shutting down: this call was stopped/);
    await waitFor('the upstream requests to end', () => upstream.every((r) => r.endedAt !== undefined));
    expect(upstream.map((r) => r.aborted)).toEqual([true, true]);
    await client.close();
  });
});

describe('HTTP session limits', () => {
  it('--require-token refuses a session without a token with 403, and accepts one with a token', async () => {
    const strict = await startHttpBridge(stack.mastra.url, { serviceToken: service, requireToken: true });
    const refused = await postRpc(strict.url, initializeRequest);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Authorization: Bearer');
    const { client } = await connectHttp(strict.url, bob);
    expect(textOf(await client.callTool(whoami('x')))).toBe('revealed: user=bob tenant=x');
    await client.close();
    await strict.close();
  });

  it('answers 503 beyond --max-sessions, and expires idle sessions', async () => {
    const small = await startHttpBridge(stack.mastra.url, { serviceToken: service, maxSessions: 2, sessionIdleTimeoutMs: 400 });
    // Raw sessions: an SDK client keeps an event stream open, and a session with an open stream is not idle.
    const open = async () => {
      const response = await postRpc(small.url, initializeRequest, { authorization: `Bearer ${alice}` });
      await response.body?.cancel();
      return response;
    };
    const first = (await open()).headers.get('mcp-session-id')!;
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect((await open()).status).toBe(200);
    const third = await postRpc(small.url, initializeRequest, { authorization: `Bearer ${alice}` });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('30');
    expect(await third.text()).toContain('--max-sessions');

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const expired = await postRpc(small.url, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, { 'mcp-session-id': first, authorization: `Bearer ${alice}` });
    expect(expired.status).toBe(404);
    // Room again once the idle ones are gone.
    expect((await open()).status).toBe(200);
    await small.close();
  });

  it('expires an idle session even while its client holds the event stream open, and ends that stream', async () => {
    const small = await startHttpBridge(stack.mastra.url, { serviceToken: service, sessionIdleTimeoutMs: 300 });
    const opened = await postRpc(small.url, initializeRequest, { authorization: `Bearer ${bob}` });
    await opened.body?.cancel();
    const headers = { 'mcp-session-id': opened.headers.get('mcp-session-id')!, authorization: `Bearer ${bob}`, 'mcp-protocol-version': '2025-11-25' };
    const stream = await fetch(small.url, { headers: { ...headers, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      while (!(await reader.read()).done);
      return true;
    })();
    // Holding the stream open is listening, not activity: the session expires and its stream ends.
    expect(await Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve('still open'), 5_000))])).toBe(true);
    expect((await postRpc(small.url, { jsonrpc: '2.0', id: 5, method: 'ping' }, headers)).status).toBe(404);
    await small.close();
  });
});
