import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, MODERN_VERSION, startStack, textOf, waitFor, type Era, type Stack } from './helpers.js';
import { initializeRequest, postRpc, startHttpBridge } from './http-helpers.js';

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

/** `{"a":{"a":…1…}}`, written out as text: JSON.stringify itself overflows long before 50 000 levels. */
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const envelope = JSON.stringify({
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
});
/** A tools/call of ask_echo whose `_meta` holds a value nested `levels` deep (plus the 2026-07-28 envelope in that era). */
const deepCall = (era: Era, id: number, levels: number) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"ask_echo","arguments":{"message":"deep"},"_meta":{${era === 'modern' ? `${envelope.slice(1, -1)},` : ''}"x":${nested(levels)}}}}`;
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

describe.each(['legacy', 'modern'] as const)('a message nested 50 000 levels deep, over HTTP in the %s era', (era) => {
  it('is refused with 400 and a JSON-RPC error naming the limit, runs nothing, and the next request is served', async () => {
    const send = await openEra(era);
    const before = stack.model.requests.length;
    const refused = await send(deepCall(era, 2, 50_000));
    expect(refused.status).toBe(400);
    expect((await answerOf(refused)).error).toEqual({ code: -32600, message: TOO_DEEP });
    // Within the limit: served as before.
    const fine = await send(deepCall(era, 3, 100));
    expect(fine.status).toBe(200);
    expect(textOf((await answerOf(fine)).result)).toBe('echo: deep');
    expect(stack.model.requests.length).toBe(before + 1);
  });
});

describe.each(['legacy', 'modern'] as const)('a message nested 50 000 levels deep, over stdio in the %s era', (era) => {
  it('is answered with a JSON-RPC error naming the limit, and the connection goes on', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const answers: { id?: number; result?: unknown; error?: { code: number; message: string } }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => answers.push(JSON.parse(line)));
    const answer = (id: number) => waitFor(`the answer to request ${id}`, () => answers.find((message) => message.id === id));
    try {
      if (era === 'legacy') child.stdin.write(`${JSON.stringify(initializeRequest)}\n`);
      else child.stdin.write(`{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":${envelope}}}\n`);
      await answer(1);
      child.stdin.write(`${deepCall(era, 2, 50_000)}\n`);
      child.stdin.write(`${plainCall(era, 3)}\n`);
      expect((await answer(2)).error).toEqual({ code: -32600, message: TOO_DEEP });
      expect(textOf((await answer(3)).result)).toBe('echo: deep');
    } finally {
      child.kill();
    }
  });
});
