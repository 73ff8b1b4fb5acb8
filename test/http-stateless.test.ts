import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskBoard } from '../src/tasks/task-board.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { initializeRequest, postRpc } from './support/raw-http.js';
import { legacyTasks, settle } from './support/task-clients.js';
import { waitFor } from './support/waiting.js';
import { taskBoard } from './support/defaults.js';

const SECRET = 'http-stateless-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });
const serviceToken = signJwt(SECRET, { sub: 'service' });
const whoami = (tenant: string) => ({ name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant } } });

let stack: Stack;
let bridge: Bridge;
/** A second replica on the same task board: what a shared store (Redis) makes of two processes. */
let other: Bridge;
const stateless = (tasks?: TaskBoard) =>
  startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', serviceToken, settings: { stateless: true, tasks } });
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, longRunAgents: true });
  const tasks = taskBoard();
  [bridge, other] = await Promise.all([stateless(tasks), stateless(tasks)]);
});
afterAll(async () => {
  await bridge?.close();
  await other?.close();
  await stack?.close();
});

const asAlice = { authorization: `Bearer ${alice}` };

describe('--stateless: 2025-11-25 clients without sessions', () => {
  it('answers initialize without a session id and offers no list_changed, which no stream could carry', async () => {
    const response = await postRpc(bridge.url, initializeRequest, asAlice);
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeNull();
    expect(response.headers.get('content-type')).toContain('application/json');
    const { result } = (await response.json()) as { result: { capabilities: { tools: { listChanged: boolean } } } };
    expect(result.capabilities.tools.listChanged).toBe(false);
  });

  it('serves a request that never initialized, on any replica, with the token it carries', async () => {
    const call = { jsonrpc: '2.0', id: 5, method: 'tools/call', params: whoami('alone') };
    for (const url of [bridge.url, other.url]) {
      const response = await postRpc(url, call, asAlice);
      expect(response.headers.get('content-type')).toContain('application/json');
      const { result } = (await response.json()) as { result: CallToolResult };
      expect(textOf(result)).toBe('revealed: user=alice tenant=alone');
    }
  });

  it('answers GET and DELETE with 405 and Allow: POST, as the spec says for a server without sessions', async () => {
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(bridge.url, { method, headers: { ...asAlice, accept: 'text/event-stream', 'mcp-session-id': 'anything' } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(await response.text()).toContain('--stateless');
    }
  });

  it('refuses a token Mastra refuses, as sessions do', async () => {
    const response = await postRpc(bridge.url, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { authorization: 'Bearer not-a-jwt' });
    expect(response.status).toBe(403);
  });

  it('serves an SDK client for list, calls of two users side by side, and progress on the call’s own stream', async () => {
    const [a, b] = await Promise.all([bridge.connect({ token: alice }), other.connect({ token: bob })]);
    try {
      expect(a.transport!.sessionId).toBeUndefined();
      expect((await a.client.listTools()).tools.map((t) => t.name)).toContain('ask_whoami');
      const calls = Array.from({ length: 6 }, (_, i) => ({ user: i % 2 ? 'bob' : 'alice', i }));
      const texts = await Promise.all(calls.map(({ user, i }) => (user === 'bob' ? b : a).client.callTool(whoami(`t${i}`)).then(textOf)));
      expect(texts).toEqual(calls.map(({ user, i }) => `revealed: user=${user} tenant=t${i}`));
      const progress: number[] = [];
      const slow = await a.client.callTool({ name: 'ask_slow', arguments: { message: marked('pace') } }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(textOf(slow)).toContain('word10');
      expect(progress.length).toBeGreaterThan(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps a task by its identity: started through one replica, polled and collected through the other, unseen by another user', async () => {
    const [a, aElsewhere, b] = await Promise.all([bridge.connect({ token: alice }), other.connect({ token: alice }), other.connect({ token: bob })]);
    const [mine, elsewhere, bobs] = [legacyTasks(a.client), legacyTasks(aElsewhere.client), legacyTasks(b.client)];
    try {
      const task = await mine.start('ask_whoami', whoami('tasked').arguments, 60_000);
      await expect(bobs.get(task.taskId)).rejects.toThrow(/not found/i);
      expect(await bobs.list!()).toEqual([]);
      expect((await settle(elsewhere, task.taskId)).last.status).toBe('completed');
      expect(textOf(await elsewhere.result(task.taskId))).toBe('revealed: user=alice tenant=tasked');
    } finally {
      await Promise.all([a.close(), aElsewhere.close(), b.close()]);
    }
  });

  it('stops the agent run upstream when the client leaves: no session could collect the answer later', async () => {
    const leaving = new AbortController();
    const message = marked('leave early');
    const call = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'ask_slow', arguments: { message }, _meta: { progressToken: 1 } } };
    const response = await fetch(bridge.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...asAlice },
      body: JSON.stringify(call),
      signal: leaving.signal,
    });
    await stack.requestFor(message);
    leaving.abort();
    await response.body?.cancel().catch(() => {});
    const upstream = await stack.requestFor(message, (r) => r.endedAt !== undefined);
    expect(upstream.aborted).toBe(true);
  });

  it('closing the bridge after the grace period answers each call still running with its JSON-RPC error, then aborts it upstream', async () => {
    const short = await stateless();
    const { client } = await short.connect({ token: alice });
    const failure = (error: unknown) => (error instanceof McpError ? `MCP ${error.code}: ${error.message}` : `not an MCP error: ${String(error)}`);
    // One answered with a JSON body, one on an event stream (it asks for progress).
    const [plainMessage, streamedMessage] = [marked('stateless plain'), marked('stateless streamed')];
    const plain = client.callTool({ name: 'ask_slow', arguments: { message: plainMessage } }).then(() => 'answered', failure);
    const streamed = client
      .callTool({ name: 'ask_slow', arguments: { message: streamedMessage } }, undefined, { onprogress: () => {} })
      .then(() => 'answered', failure);
    const upstream = await Promise.all([stack.requestFor(plainMessage), stack.requestFor(streamedMessage)]);
    await short.close({ graceMs: 100 });
    for (const outcome of [await plain, await streamed]) expect(outcome).toMatch(/^MCP -32000: .*The bridge is shutting down: this call was stopped/);
    await waitFor('the upstream requests to end', () => upstream.every((r) => r.endedAt !== undefined));
    expect(upstream.map((r) => r.aborted)).toEqual([true, true]);
  });
});
