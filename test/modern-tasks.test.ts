import { StreamableHTTPClientTransport, type Client } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAIL_MESSAGE, SLOW_WORDS } from './fixture/fake-model.js';
import { MODERN_VERSION, modernClient, startStack, textOf, waitFor, type Stack } from './helpers.js';
import { rawDispatch, signJwt, startHttpBridge } from './http-helpers.js';

const SECRET = 'modern-tasks-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });

let stack: Stack;
let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, longRunAgents: true });
  bridge = await startHttpBridge(stack.mastra.url, { serviceToken: signJwt(SECRET, { sub: 'service-user' }) });
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await stack?.close();
});

const clients: Client[] = [];
async function taskSession(token: string) {
  const client = modernClient('tasks-test');
  await client.connect(new StreamableHTTPClientTransport(new URL(bridge.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  clients.push(client);
  return createTaskSessionFromClient(client, {
    endpointId: 'bridge',
    rawDispatch: rawDispatch(bridge.url, token),
    v2RequestFraming: { protocolVersion: MODERN_VERSION, clientInfo: { name: 'tasks-test', version: '1.0.0' }, clientCapabilities: {} },
  });
}
afterAll(async () => {
  for (const client of clients) await client.close();
});

const modelRequests = (message: string) => stack.model.requests.filter((r) => r.lastUserMessage === message);

describe('agent tasks in MCP 2026-07-28 (io.modelcontextprotocol/tasks, through @modelcontextprotocol/ext-tasks)', () => {
  it("a task-augmented call returns a task, tasks/get follows it, and it ends with the plain call's result", async () => {
    const session = await taskSession(alice);
    const execution = await session.callTool('ask_slow', { message: 'as a task' });
    expect(execution.kind).toBe('task');
    const seen: string[] = [];
    const { outcome } = await execution.settle({ onEvent: (event) => void (event.type === 'task' && seen.push(event.task.status)) });
    expect(outcome.status).toBe('completed');
    const result = resultFromTaskOutcome(outcome) as CallToolResult;
    expect(textOf(result)).toBe(SLOW_WORDS.join(''));
    expect(result.structuredContent).toMatchObject({ agentId: 'slow', text: SLOW_WORDS.join('') });
    expect(seen).toContain('working');
    await session.close();
  });

  it('an agent that fails ends its task with the same isError result a plain call gets', async () => {
    const session = await taskSession(alice);
    const execution = await session.callTool('ask_broken', { message: 'fail as a task' });
    const result = resultFromTaskOutcome((await execution.settle()).outcome) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(FAIL_MESSAGE);
    await session.close();
  });

  it('cancelling the task stops the agent run upstream', async () => {
    const session = await taskSession(alice);
    const message = 'cancel the 2026 task';
    const execution = await session.callTool('ask_slower', { message });
    await waitFor('the task run to reach the model', () => modelRequests(message)[0]?.firstChunkAt !== undefined);
    await execution.cancel();
    expect((await execution.settle()).outcome.status).toBe('cancelled');
    const request = await waitFor('the model request to end', () => modelRequests(message)[0]?.endedAt !== undefined && modelRequests(message)[0]);
    expect(request.aborted).toBe(true);
    await session.close();
  });

  it('belongs to the token that created it: another token can neither see nor cancel it', async () => {
    const session = await taskSession(alice);
    const message = 'alice keeps her task';
    const execution = await session.callTool('ask_slow', { message });
    if (execution.kind !== 'task') throw new Error('expected a task');
    const { taskId } = execution.handle;
    const asBob = rawDispatch(bridge.url, bob);
    for (const method of ['tasks/get', 'tasks/cancel', 'tasks/update']) {
      const answer = await asBob(
        { method, params: { taskId, ...(method === 'tasks/update' ? { inputResponses: {} } : {}), _meta: framing() } },
        { context: { headers: { 'Mcp-Name': taskId } } },
      );
      expect(answer).toMatchObject({ kind: 'error', error: { code: -32602 } });
      expect(JSON.stringify(answer)).toContain(`Task ${taskId} not found`);
    }
    const result = resultFromTaskOutcome((await execution.settle()).outcome) as CallToolResult;
    expect(textOf(result)).toBe(SLOW_WORDS.join(''));
    expect(modelRequests(message)[0]?.aborted).toBe(false);

    // Its owner may still read it; cancelling a finished task is acknowledged and changes nothing.
    const asAlice = rawDispatch(bridge.url, alice);
    const headers = { context: { headers: { 'Mcp-Name': taskId } } };
    expect(await asAlice({ method: 'tasks/cancel', params: { taskId, _meta: framing() } }, headers)).toMatchObject({ kind: 'result' });
    expect(await asAlice({ method: 'tasks/get', params: { taskId, _meta: framing() } }, headers)).toMatchObject({
      kind: 'result',
      result: { status: 'completed' },
    });
    // A request that does not declare the extension has no task methods.
    const undeclared = { ...framing(), 'io.modelcontextprotocol/clientCapabilities': {} };
    expect(await asAlice({ method: 'tasks/get', params: { taskId, _meta: undeclared } }, headers)).toMatchObject({ kind: 'error', error: { code: -32021 } });
    await session.close();
  });
});

const framing = () => ({
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'bob', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } },
});
