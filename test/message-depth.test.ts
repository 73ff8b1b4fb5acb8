import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, MODERN_VERSION, textOf, type Era } from './support/mcp-clients.js';
import { initializeRequest, postRpc } from './support/raw-http.js';

let stack: Stack;
let bridge: Bridge;
beforeAll(async () => {
  stack = await startStack();
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

/** `{"a":{"a":…1…}}`, written out as text: JSON.stringify itself overflows long before 50 000 levels. */
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const envelope = JSON.stringify({
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
});
/** A tools/call of ask_echo whose `_meta` holds a value nested `levels` deep (plus the 2026-07-28 envelope in that era). */
const deepCall = (era: Era, id: number, levels: number, message = 'deep') =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"ask_echo","arguments":{"message":${JSON.stringify(message)}},"_meta":{${era === 'modern' ? `${envelope.slice(1, -1)},` : ''}"x":${nested(levels)}}}}`;
const plainCall = (era: Era, id: number) => deepCall(era, id, 1);

const TOO_DEEP = 'Invalid Request: this message nests objects and arrays more than 128 levels deep, the most the bridge accepts; send flatter values.';

/** Sends a raw body in `era`: a 2025-11-25 session's request (the session opened here), or a 2026-07-28 request. */
async function openEra(era: Era): Promise<(body: string) => Promise<Response>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (era === 'modern') Object.assign(headers, { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': 'tools/call', 'mcp-name': 'ask_echo' });
  else {
    const opened = await postRpc(bridge.url, initializeRequest);
    await opened.body?.cancel();
    Object.assign(headers, { 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': opened.headers.get('mcp-session-id')! });
  }
  return (body) => fetch(bridge.url, { method: 'POST', headers, body });
}

/** The answer of a JSON or event-stream body. */
const answerOf = async (response: Response) => {
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('text/event-stream') ? /^data: (.*)$/m.exec(text)![1]! : text;
  return JSON.parse(json) as { result?: unknown; error?: { code: number; message: string } };
};

describe.each(ERA_CASES)('a message nested 50 000 levels deep, over HTTP in the $era era', ({ era }) => {
  it('is refused with 400 and a JSON-RPC error naming the limit, runs nothing, and the next request is served', async () => {
    const send = await openEra(era);
    const [deep, fitting] = [marked('deep'), marked('deep within the limit')];
    const refused = await send(deepCall(era, 2, 50_000, deep));
    expect(refused.status).toBe(400);
    expect((await answerOf(refused)).error).toEqual({ code: -32600, message: TOO_DEEP });
    // Within the limit: served as before, and it reached the model after anything the refused one could have sent.
    const fine = await send(deepCall(era, 3, 100, fitting));
    expect(fine.status).toBe(200);
    expect(textOf((await answerOf(fine)).result)).toBe(`echo: ${fitting}`);
    expect(stack.requestsFor(fitting)).toHaveLength(1);
    expect(stack.requestsFor(deep)).toEqual([]);
  });
});

describe.each(ERA_CASES)('a message nested 50 000 levels deep, over stdio in the $era era', ({ era }) => {
  it('is answered with a JSON-RPC error naming the limit, and the connection goes on', async () => {
    const bin = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', client: 'raw', era, env: { LOG_LEVEL: 'warn' } });
    try {
      if (era === 'legacy') bin.raw.send(initializeRequest);
      else bin.raw.send(`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":${envelope}}}`);
      await bin.raw.answerTo(1);
      bin.raw.send(deepCall(era, 2, 50_000));
      bin.raw.send(plainCall(era, 3));
      expect((await bin.raw.answerTo(2)).error).toEqual({ code: -32600, message: TOO_DEEP });
      expect(textOf((await bin.raw.answerTo(3)).result)).toBe('echo: deep');
    } finally {
      await bin.close();
    }
  });
});
