import { isLegacyRequest } from '@modelcontextprotocol/server';
import { spawn } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isModern } from '../src/protocol/era.js';
import { BIN } from './support/bin.js';
import { initializeRequest } from './support/raw-http.js';

const CLAIM = 'io.modelcontextprotocol/protocolVersion';
const envelope = {
  [CLAIM]: '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const request = (method: string, meta?: Record<string, unknown>) => ({ jsonrpc: '2.0', id: 7, method, params: meta ? { _meta: meta } : {} });

/** Messages either era's client may open with, and the odd ones a confused client might. */
const messages: [string, unknown, IncomingHttpHeaders?][] = [
  ['initialize', initializeRequest],
  ['initialize with a progress token', { ...initializeRequest, params: { ...initializeRequest.params, _meta: { progressToken: 1 } } }],
  ['initialize claiming 2025-11-25', { ...initializeRequest, params: { ...initializeRequest.params, _meta: { [CLAIM]: '2025-11-25' } } }],
  ['initialize with a 2026 envelope', { ...initializeRequest, params: { ...initializeRequest.params, _meta: envelope } }],
  ['initialize sent with a 2026 header', initializeRequest, { 'mcp-protocol-version': '2026-07-28' }],
  ['tools/list without a claim', request('tools/list')],
  ['tools/list in a 2026 envelope', request('tools/list', envelope)],
  ['server/discover in a 2026 envelope', request('server/discover', envelope)],
  ['a claim that is not a string', request('tools/list', { [CLAIM]: 2026 })],
  ['a claim without the rest of the envelope', request('tools/list', { [CLAIM]: '2026-07-28' })],
  ['a 2026 header without the envelope', request('tools/list'), { 'mcp-protocol-version': '2026-07-28' }],
  ['a 2025 header', request('tools/list'), { 'mcp-protocol-version': '2025-11-25' }],
  ['a notification without a claim', { jsonrpc: '2.0', method: 'notifications/initialized' }],
  ['a notification in a 2026 envelope', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: envelope } }],
  ['a posted response', { jsonrpc: '2.0', id: 3, result: {} }],
  ['a batch of 2025 requests', [request('tools/list'), request('ping')]],
  ['a batch holding a 2026 request', [request('tools/list', envelope)]],
];

describe('the era rule (protocol/era.ts), the same for stdio and HTTP', () => {
  it.each(messages)('routes %s where the SDK would', async (_name, body, headers = {}) => {
    const sdk = !(await isLegacyRequest(new Request('http://bridge/mcp', { method: 'POST', headers: headers as Record<string, string> }), body));
    expect(await isModern({ body, httpMethod: 'POST', headers })).toBe(sdk);
    // stdio has no headers: the message alone decides, by the same rule.
    if (Object.keys(headers).length === 0) expect(await isModern({ body })).toBe(sdk);
  });

  it('leaves GET, DELETE and what is not JSON-RPC to 2025', async () => {
    expect(await isModern({ body: undefined, httpMethod: 'GET' })).toBe(false);
    expect(await isModern({ body: undefined, httpMethod: 'DELETE', headers: { 'mcp-protocol-version': '2026-07-28' } })).toBe(false);
    expect(await isModern({ body: undefined })).toBe(false);
    expect(await isModern({ body: { hello: 'there', params: { _meta: envelope } } })).toBe(false);
  });
});

/** A hook that says on stderr when anything of the v2 SDK (`@modelcontextprotocol/server`) is loaded. */
const SAY_LOADS = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register('data:text/javascript,' + encodeURIComponent("export async function resolve(s, c, next) { if (s.startsWith('@modelcontextprotocol/server')) process.stderr.write('loaded ' + s + '\\\\n'); return next(s, c); }"));`,
)}`;

/** Opens the stdio bin with `message`; resolves with its first answer and what it said on stderr by then. */
async function openStdio(message: unknown): Promise<{ answer: { id?: unknown; result?: unknown; error?: unknown }; stderr: string }> {
  const child = spawn(process.execPath, ['--import', SAY_LOADS, BIN], { env: { ...process.env, MASTRA_BASE_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'error' } });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const answered = new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (stdout.includes('\n')) resolve();
    }),
  );
  child.stdin.write(`${JSON.stringify(message)}\n`);
  await answered;
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  return { answer: JSON.parse(stdout.split('\n')[0]!), stderr };
}

describe('the era of a stdio connection, told from its opening line', () => {
  it('a client that opens with initialize is served 2025-11-25 and never waits for the 2026 SDK to load', async () => {
    const { answer, stderr } = await openStdio(initializeRequest);
    expect(answer).toMatchObject({ id: 1, result: { protocolVersion: '2025-11-25' } });
    expect(stderr).not.toContain('loaded @modelcontextprotocol/server');
  });

  it('a client that opens in a 2026 envelope is served 2026-07-28 by the 2026 SDK', async () => {
    const { answer, stderr } = await openStdio(request('server/discover', envelope));
    expect(answer).toMatchObject({ id: 7, result: { supportedVersions: expect.arrayContaining(['2026-07-28']) } });
    expect(stderr).toContain('loaded @modelcontextprotocol/server');
  });
});
