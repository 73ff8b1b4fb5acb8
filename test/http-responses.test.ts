import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from './helpers.js';
import { connectHttp, postRpc, startHttpBridge } from './http-helpers.js';

let stack: Stack;
let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
beforeAll(async () => {
  stack = await startStack();
  bridge = await startHttpBridge(stack.mastra.url);
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await stack?.close();
});

const call = (id: number, message: string, meta?: Record<string, unknown>) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'ask_echo', arguments: { message }, ...(meta ? { _meta: meta } : {}) },
});

describe('HTTP answers', () => {
  it('answers a call without a progressToken with one JSON body, and one with a token as an event stream of progress, then the result', async () => {
    const { client, transport } = await connectHttp(bridge.url);
    const session = { 'mcp-session-id': transport.sessionId! };

    const plain = await postRpc(bridge.url, call(7, 'plain'), session);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toMatchObject({ id: 7, result: { content: [{ type: 'text', text: 'echo: plain' }] } });

    const streamed = await postRpc(bridge.url, call(8, 'streamed', { progressToken: 'p' }), session);
    expect(streamed.headers.get('content-type')).toBe('text/event-stream');
    const events = (await streamed.text())
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
    expect(events.length).toBeGreaterThan(1);
    expect(events.slice(0, -1).every((e) => e.method === 'notifications/progress' && e.params.progressToken === 'p')).toBe(true);
    expect(events.at(-1)).toMatchObject({ id: 8, result: { content: [{ type: 'text', text: 'echo: streamed' }] } });
    await client.close();
  });

  it('still refuses a second initialize on an open session', async () => {
    const { client, transport } = await connectHttp(bridge.url);
    const again = {
      jsonrpc: '2.0',
      id: 9,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    };
    const response = await postRpc(bridge.url, again, { 'mcp-session-id': transport.sessionId! });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('already initialized');
    await client.close();
  });

  it('answers a plain call still running when its session is deleted with an error at once, rather than leaving it open', async () => {
    const { client, transport } = await connectHttp(bridge.url);
    const session = { 'mcp-session-id': transport.sessionId! };
    const slow = { ...call(10, 'deleted mid-call'), params: { name: 'ask_slow', arguments: { message: 'deleted mid-call' } } };
    const pending = postRpc(bridge.url, slow, session);
    const upstream = await waitFor('the slow run to start upstream', () => stack.model.requests.find((r) => r.lastUserMessage === 'deleted mid-call'));
    const deleted = await fetch(bridge.url, { method: 'DELETE', headers: session });
    expect(deleted.status).toBe(200);
    const answer = await pending;
    expect(await answer.json()).toMatchObject({ id: 10, error: { message: expect.stringContaining('Session closed') } });
    await waitFor('the run to stop upstream', () => upstream.endedAt !== undefined);
    expect(upstream.aborted).toBe(true);
    await client.close();
  });

  it('answers 404 to a call whose body arrives after its session was deleted, and runs nothing upstream', async () => {
    const { client, transport } = await connectHttp(bridge.url);
    const sessionId = transport.sessionId!;
    const body = JSON.stringify(call(11, 'raced the delete'));
    const url = new URL(bridge.url);
    const post = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        'mcp-session-id': sessionId,
        'content-length': Buffer.byteLength(body),
      },
    });
    const answer = new Promise<{ status?: number; text: string }>((resolve, reject) => {
      post.on('error', reject);
      post.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode, text }));
      });
    });
    // Half the body: the bridge has found the session and is waiting for the rest.
    await new Promise<void>((resolve) => post.write(body.slice(0, 10), () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const deleted = await fetch(bridge.url, { method: 'DELETE', headers: { 'mcp-session-id': sessionId } });
    expect(deleted.status).toBe(200);
    post.end(body.slice(10));

    const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the late call was never answered')), 3000));
    const { status, text } = await Promise.race([answer, hung]);
    expect(status).toBe(404);
    expect(JSON.parse(text)).toMatchObject({ jsonrpc: '2.0', error: { message: expect.stringContaining('Session not found') } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.model.requests.filter((r) => r.lastUserMessage === 'raced the delete')).toEqual([]);
    await client.close();
  });
});
