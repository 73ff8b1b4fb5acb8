import { CallToolResultSchema, CreateTaskResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, textOf, waitFor, type Stack } from './helpers.js';
import { connectHttp, initializeRequest, postRpc, signJwt, startHttpBridge } from './http-helpers.js';
import { taskBoard } from './support/defaults.js';

const SECRET = 'http-tasks-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });
const serviceToken = signJwt(SECRET, { sub: 'service' });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(async () => {
  await stack?.close();
});

/** The JSON-RPC message in a response, whether it came as JSON or as one SSE event. */
async function rpcResult(response: Response): Promise<{ result?: any; error?: any }> {
  const text = await response.text();
  const data = response.headers.get('content-type')?.includes('text/event-stream') ? /^data: (.*)$/m.exec(text)?.[1] : text;
  return JSON.parse(data ?? '{}');
}

describe('agent tasks over HTTP', () => {
  it("belong to the session and token that started them: another user's session can neither get, read, cancel nor list them", async () => {
    const bridge = await startHttpBridge(stack.mastra.url, { serviceToken, tasks: taskBoard() });
    const a = await connectHttp(bridge.url, alice);
    const b = await connectHttp(bridge.url, bob);
    try {
      const { task } = await a.client.request(
        { method: 'tools/call', params: { name: 'ask_whoami', arguments: { message: 'who started this?' }, task: { ttl: 60_000 } } },
        CreateTaskResultSchema,
      );
      await expect(b.client.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
      await expect(b.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).rejects.toThrow(/not found/i);
      await expect(b.client.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/not found/i);
      expect((await b.client.experimental.tasks.listTasks()).tasks).toEqual([]);

      const result = (await a.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)) as CallToolResult;
      expect(textOf(result)).toBe('revealed: user=alice tenant=none');
      expect((await a.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([task.taskId]);
    } finally {
      await a.client.close();
      await b.client.close();
      await bridge.close({ graceMs: 0 });
    }
  });

  it('keep their session open past the idle timeout while they run, so a client that walked away can collect the result', async () => {
    const bridge = await startHttpBridge(stack.mastra.url, { serviceToken, tasks: taskBoard(), sessionIdleTimeoutMs: 300 });
    try {
      // A bare client: no event stream held open, nothing but the requests it needs.
      const auth = { authorization: `Bearer ${alice}` };
      const init = await postRpc(bridge.url, initializeRequest, auth);
      const session = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')! };
      await init.text();
      await (await postRpc(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
      const started = await rpcResult(
        await postRpc(
          bridge.url,
          { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask_slow', arguments: { message: 'walk away' }, task: { ttl: 60_000 } } },
          session,
        ),
      );
      const taskId = started.result.task.taskId as string;
      // The slow agent takes 1.5 s: five idle timeouts pass while it runs.
      await waitFor('the slow run to finish', () => stack.model.requests.find((r) => r.lastUserMessage === 'walk away')?.endedAt);
      const upstream = stack.model.requests.find((r) => r.lastUserMessage === 'walk away')!;
      expect(upstream.aborted).toBe(false);
      const result = await rpcResult(await postRpc(bridge.url, { jsonrpc: '2.0', id: 3, method: 'tasks/result', params: { taskId } }, session));
      expect(result.result.content[0].text).toContain('word10');
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });
});
