import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { initializeRequest, postRpc } from './support/raw-http.js';
import { upstreamCaughtUp, waitFor } from './support/waiting.js';

const SECRET = 'http-sessions-test-secret';
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

/** A bridge of its own, with these settings, closed after the file. */
const own = (settings: Parameters<typeof startBridge>[0]['settings']) =>
  startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', serviceToken: service, settings });

const whoami = (tenant: string, message = 'who?') => ({ name: 'ask_whoami', arguments: { message, requestContext: { tenant } } });

describe('HTTP sessions and tokens', () => {
  it('each session calls Mastra as its own user, with dozens of concurrent calls and no mix-up', async () => {
    const sessions = {
      alice: await bridge.connect({ token: alice }),
      bob: await bridge.connect({ token: bob }),
      'service-user': await bridge.connect(),
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
    const a = await bridge.connect({ token: alice });
    const sessionId = a.transport!.sessionId!;
    const stolen = marked('stolen');
    const call = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: whoami('stolen', stolen) };

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

    // A's own token still works on A's session, and its call reaches the model after anything the refused ones set off.
    await upstreamCaughtUp(stack.model, async (marker) =>
      expect(textOf(await a.client.callTool(whoami('mine', marker)))).toBe('revealed: user=alice tenant=mine'),
    );
    expect(stack.requestsFor(stolen)).toEqual([]);
    await a.close();
  });

  it('refuses a token on a session opened without one', async () => {
    const anonymous = await bridge.connect();
    const response = await postRpc(
      bridge.url,
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { 'mcp-session-id': anonymous.transport!.sessionId!, authorization: `Bearer ${alice}` },
    );
    expect(response.status).toBe(403);
    await anonymous.close();
  });

  it('DELETE ends a session; its id then answers 404', async () => {
    const { client, transport } = await bridge.connect({ token: alice });
    const sessionId = transport!.sessionId!;
    await transport!.terminateSession();
    const after = await postRpc(bridge.url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-session-id': sessionId, authorization: `Bearer ${alice}` });
    expect(after.status).toBe(404);
    expect(await after.text()).toContain('Session not found');
    await client.close();
  });

  it('DELETE of a session mid-call aborts its agent run upstream at once, and sends nothing more for it', async () => {
    const { client, transport } = await bridge.connect({ token: alice });
    const message = marked('delete me');
    const call = client.callTool({ name: 'ask_slow', arguments: { message } }).catch((error: unknown) => error);
    const upstream = await stack.requestFor(message);
    const deletedAt = Date.now();
    // A second client deletes the session, as a user closing the IDE tab would; the first is still waiting.
    const terminate = await fetch(bridge.url, { method: 'DELETE', headers: { 'mcp-session-id': transport!.sessionId!, authorization: `Bearer ${alice}` } });
    expect(terminate.status).toBe(200);
    await waitFor('the upstream request to end', () => upstream.endedAt !== undefined);
    expect(upstream.aborted).toBe(true);
    expect(upstream.endedAt! - deletedAt).toBeLessThan(1000);
    // Another session's call reaches the model after anything the deleted one could still send.
    const other = await bridge.connect({ token: alice });
    await upstreamCaughtUp(stack.model, (marker) => other.client.callTool(whoami('after', marker)));
    expect(stack.requestsFor(message)).toEqual([upstream]);
    await other.close();
    await client.close();
    await call;
  });

  it('closing the bridge after the grace period answers each call still running with its JSON-RPC error, then aborts it upstream', async () => {
    const short = await own({});
    const { client } = await short.connect({ token: alice });
    const failure = (error: unknown) => (error instanceof McpError ? `MCP ${error.code}: ${error.message}` : `not an MCP error: ${String(error)}`);
    // One answered with a JSON body, one on an event stream (it asks for progress).
    const [plainMessage, streamedMessage] = [marked('plain'), marked('streamed')];
    const plain = client.callTool({ name: 'ask_slow', arguments: { message: plainMessage } }).then(() => 'answered', failure);
    const streamed = client
      .callTool({ name: 'ask_slow', arguments: { message: streamedMessage } }, undefined, { onprogress: () => {} })
      .then(() => 'answered', failure);
    const upstream = await Promise.all([stack.requestFor(plainMessage), stack.requestFor(streamedMessage)]);
    expect(upstream.map((r) => r.endedAt)).toEqual([undefined, undefined]);
    await short.close({ graceMs: 100 });
    for (const outcome of [await plain, await streamed]) expect(outcome).toMatch(/^MCP -32000: .*The bridge is shutting down: this call was stopped/);
    await waitFor('the upstream requests to end', () => upstream.every((r) => r.endedAt !== undefined));
    expect(upstream.map((r) => r.aborted)).toEqual([true, true]);
  });
});

describe('HTTP session limits', () => {
  it('--require-token refuses a session without a token with 403, and accepts one with a token', async () => {
    const strict = await own({ requireToken: true });
    const refused = await postRpc(strict.url, initializeRequest);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Authorization: Bearer');
    const { client } = await strict.connect({ token: bob });
    expect(textOf(await client.callTool(whoami('x')))).toBe('revealed: user=bob tenant=x');
    await strict.close();
  });

  it('answers 503 beyond --max-sessions, and expires idle sessions', async () => {
    const small = await own({ maxSessions: 2, sessionIdleTimeoutMs: 400 });
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

    // Room again once the idle ones are gone: a refused initialize opens nothing, so asking does not keep them alive.
    await waitFor('a session to open once the idle ones expired', async () => (await open()).status === 200, 5_000);
    const expired = await postRpc(small.url, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, { 'mcp-session-id': first, authorization: `Bearer ${alice}` });
    expect(expired.status).toBe(404);
    await small.close();
  });

  it('expires an idle session even while its client holds the event stream open, and ends that stream', async () => {
    const small = await own({ sessionIdleTimeoutMs: 300 });
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
