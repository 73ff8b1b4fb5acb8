import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { MODERN_VERSION } from './support/mcp-clients.js';

let stack: Stack;
const bridges: Bridge[] = [];
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  for (const bridge of bridges) await bridge.close();
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

async function httpBin(args: string[]): Promise<Bridge> {
  const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', bin: true, client: 'none', args, env: { LOG_LEVEL: 'warn' } });
  bridges.push(bridge);
  return bridge;
}

describe('the 2026-07-28 cache hint of the tool list follows --refresh-interval', () => {
  it('over HTTP: tools/list, as a real 2026 client reads it, and server/discover say the interval', async () => {
    const bridge = await httpBin(['--refresh-interval', '45s']);
    const { modern, close } = await bridge.connect({ era: 'modern' });
    expect(await modern!.listTools()).toMatchObject({ ttlMs: 45_000, cacheScope: 'public' });
    await close();
    expect(await modernRpc(bridge.url, 'server/discover')).toMatchObject({ ttlMs: 45_000 });
  });

  it('over stdio, from the environment twin', async () => {
    const bridge = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'stdio',
      era: 'modern',
      env: { MCP_REFRESH_INTERVAL: '2m', LOG_LEVEL: 'warn' },
    });
    expect(await bridge.modern.listTools()).toMatchObject({ ttlMs: 120_000 });
    await bridge.close();
  });

  it('with re-listing off (0) the bridge promises nothing: ttlMs 0', async () => {
    const { url } = await httpBin(['--refresh-interval', '0']);
    expect(await modernRpc(url, 'tools/list')).toMatchObject({ ttlMs: 0, cacheScope: 'public' });
    expect(await modernRpc(url, 'server/discover')).toMatchObject({ ttlMs: 0 });
  });
});
