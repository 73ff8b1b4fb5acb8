import { CallToolResultSchema, CreateTaskResultSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, textOf, waitFor, type Stack } from './helpers.js';
import { connectHttp, initializeRequest, postRpc, signJwt, startHttpBridge } from './http-helpers.js';
import { taskBoard } from './support/defaults.js';

const SECRET = 'http-stateless-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });
const serviceToken = signJwt(SECRET, { sub: 'service' });
const whoami = (tenant: string) => ({ name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant } } });

let stack: Stack;
let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
/** A second replica on the same task board: what a shared store (Redis) makes of two processes. */
let other: Awaited<ReturnType<typeof startHttpBridge>>;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, longRunAgents: true });
  const tasks = taskBoard();
  [bridge, other] = await Promise.all([
    startHttpBridge(stack.mastra.url, { serviceToken, stateless: true, tasks }),
    startHttpBridge(stack.mastra.url, { serviceToken, stateless: true, tasks }),
  ]);
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await other?.close({ graceMs: 0 });
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
    const [a, b] = await Promise.all([connectHttp(bridge.url, alice), connectHttp(other.url, bob)]);
    try {
      expect(a.transport.sessionId).toBeUndefined();
      expect((await a.client.listTools()).tools.map((t) => t.name)).toContain('ask_whoami');
      const calls = Array.from({ length: 6 }, (_, i) => ({ user: i % 2 ? 'bob' : 'alice', i }));
      const texts = await Promise.all(calls.map(({ user, i }) => (user === 'bob' ? b : a).client.callTool(whoami(`t${i}`)).then(textOf)));
      expect(texts).toEqual(calls.map(({ user, i }) => `revealed: user=${user} tenant=t${i}`));
      const progress: number[] = [];
      const slow = await a.client.callTool({ name: 'ask_slow', arguments: { message: 'pace' } }, undefined, { onprogress: (p) => progress.push(p.progress) });
      expect(textOf(slow)).toContain('word10');
      expect(progress.length).toBeGreaterThan(1);
    } finally {
      await a.client.close();
      await b.client.close();
    }
  });

  it('keeps a task by its identity: started through one replica, polled and collected through the other, unseen by another user', async () => {
    const a = await connectHttp(bridge.url, alice);
    const aElsewhere = await connectHttp(other.url, alice);
    const b = await connectHttp(other.url, bob);
    try {
      const { task } = await a.client.request({ method: 'tools/call', params: { ...whoami('tasked'), task: { ttl: 60_000 } } }, CreateTaskResultSchema);
      await expect(b.client.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
      expect((await b.client.experimental.tasks.listTasks()).tasks).toEqual([]);
      await waitFor('the task to complete', async () => (await aElsewhere.client.experimental.tasks.getTask(task.taskId)).status === 'completed');
      const result = (await aElsewhere.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
      expect(textOf(result)).toBe('revealed: user=alice tenant=tasked');
    } finally {
      await Promise.all([a.client.close(), aElsewhere.client.close(), b.client.close()]);
    }
  });

  it('stops the agent run upstream when the client leaves: no session could collect the answer later', async () => {
    const leaving = new AbortController();
    const call = {
      jsonrpc: '2.0',
      id: 9,
      method: 'tools/call',
      params: { name: 'ask_slow', arguments: { message: 'leave early' }, _meta: { progressToken: 1 } },
    };
    const response = await fetch(bridge.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...asAlice },
      body: JSON.stringify(call),
      signal: leaving.signal,
    });
    await waitFor('the run to reach the model', () => stack.model.requests.find((r) => r.lastUserMessage === 'leave early'));
    leaving.abort();
    await response.body?.cancel().catch(() => {});
    const upstream = await waitFor('the upstream run to end', () => stack.model.requests.find((r) => r.lastUserMessage === 'leave early' && r.endedAt));
    expect(upstream.aborted).toBe(true);
  });

  it('closing the bridge after the grace period answers each call still running with its JSON-RPC error, then aborts it upstream', async () => {
    const short = await startHttpBridge(stack.mastra.url, { serviceToken, stateless: true });
    const { client } = await connectHttp(short.url, alice);
    const failure = (error: unknown) => (error instanceof McpError ? `MCP ${error.code}: ${error.message}` : `not an MCP error: ${String(error)}`);
    // One answered with a JSON body, one on an event stream (it asks for progress).
    const plain = client.callTool({ name: 'ask_slow', arguments: { message: 'stateless plain' } }).then(() => 'answered', failure);
    const streamed = client
      .callTool({ name: 'ask_slow', arguments: { message: 'stateless streamed' } }, undefined, { onprogress: () => {} })
      .then(() => 'answered', failure);
    const mine = () => stack.model.requests.filter((r) => r.lastUserMessage.startsWith('stateless '));
    await waitFor('both slow runs to start', () => mine().length === 2);
    await short.close({ graceMs: 100 });
    for (const outcome of [await plain, await streamed]) expect(outcome).toMatch(/^MCP -32000: .*The bridge is shutting down: this call was stopped/);
    await waitFor('the upstream requests to end', () => mine().every((r) => r.endedAt !== undefined));
    expect(mine().map((r) => r.aborted)).toEqual([true, true]);
    await client.close();
  });
});
