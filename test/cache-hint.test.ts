import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, MODERN_VERSION, modernClient, startStack, type Stack } from './helpers.js';
import { spawnHttpBin, type SpawnedBridge } from './http-helpers.js';

let stack: Stack;
const bins: SpawnedBridge[] = [];
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  for (const bin of bins) {
    bin.child.kill('SIGTERM');
    await bin.exited;
  }
  await stack?.close();
});

/** A raw 2026-07-28 request, as a conforming client frames it. */
async function modernRpc(url: string, method: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': method,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    }),
  });
  return ((await response.json()) as { result: Record<string, unknown> }).result;
}

async function httpBin(args: string[]): Promise<string> {
  const bin = spawnHttpBin(args, { MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn' });
  bins.push(bin);
  return bin.url;
}

describe('the 2026-07-28 cache hint of the tool list follows --refresh-interval', () => {
  it('over HTTP: tools/list, as a real 2026 client reads it, and server/discover say the interval', async () => {
    const url = await httpBin(['--refresh-interval', '45s']);
    const client = modernClient();
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    expect(await client.listTools()).toMatchObject({ ttlMs: 45_000, cacheScope: 'public' });
    await client.close();
    expect(await modernRpc(url, 'server/discover')).toMatchObject({ ttlMs: 45_000 });
  });

  it('over stdio, from the environment twin', async () => {
    const client = modernClient();
    const env = { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, MCP_REFRESH_INTERVAL: '2m', LOG_LEVEL: 'warn' };
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN], env, stderr: 'pipe' }));
    expect(await client.listTools()).toMatchObject({ ttlMs: 120_000 });
    await client.close();
  });

  it('with re-listing off (0) the bridge promises nothing: ttlMs 0', async () => {
    const url = await httpBin(['--refresh-interval', '0']);
    expect(await modernRpc(url, 'tools/list')).toMatchObject({ ttlMs: 0, cacheScope: 'public' });
    expect(await modernRpc(url, 'server/discover')).toMatchObject({ ttlMs: 0 });
  });
});
