import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf } from '../src/identity/callers.js';
import { metricsUrl } from './support/bin.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';
import { parseSamples, sampleValue } from './support/prometheus-text.js';
import { postRpc } from './support/raw-http.js';
import { waitFor } from './support/waiting.js';

const SECRET = 'metrics-test-secret';
const METRICS_TOKEN = 'scrape-me-metrics-token-4321';
const caller = signJwt(SECRET, { sub: 'metrics-carol' });
const service = signJwt(SECRET, { sub: 'metrics-service' });
const OPERATION = 'mcp_server_operation_duration_seconds_count';

let stack: Stack;
let bridge: Bridge;
let origin: string;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startBridge({
    mastraUrl: stack.mastra.url,
    transport: 'http',
    bin: true,
    client: 'none',
    args: ['--metrics', '--max-body', '4096'],
    env: { JWT_TOKEN: service, MCP_METRICS_TOKEN: METRICS_TOKEN },
  });
  origin = new URL(bridge.url).origin;
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

const scrape = async (token = METRICS_TOKEN, at = origin) => fetch(`${at}/metrics`, { headers: { authorization: `Bearer ${token}` } });
const samples = async (at = origin) => parseSamples(await (await scrape(METRICS_TOKEN, at)).text());

describe('GET /metrics (--metrics)', () => {
  it('answers only with MCP_METRICS_TOKEN as a bearer token, and never names it', async () => {
    const none = await fetch(`${origin}/metrics`);
    expect(none.status).toBe(401);
    const wrong = await scrape('not-the-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(METRICS_TOKEN);
    const right = await scrape();
    expect(right.status).toBe(200);
    expect(right.headers.get('content-type')).toContain('text/plain');
    const text = await right.text();
    // The default Node process metrics come along.
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^process_open_fds /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it('counts the calls of both eras by tool, era and failure, with no identity, token, message or answer in any label', async () => {
    const { client, close } = await bridge.connect({ token: caller });
    expect(((await client.callTool({ name: 'ask_echo', arguments: { message: 'secret-message-1' } })) as CallToolResult).isError).toBeFalsy();
    expect(((await client.callTool({ name: 'ask_broken', arguments: { message: 'secret-message-2' } })) as CallToolResult).isError).toBe(true);
    await close();
    const { modern } = await bridge.connect({ token: caller, era: 'modern' });
    await modern!.callTool({ name: 'ask_echo', arguments: { message: 'secret-message-3' } });
    await expect(modern!.callTool({ name: 'made_up_tool_name', arguments: {} })).rejects.toThrow();
    await modern!.close();

    const text = await (await scrape()).text();
    const all = parseSamples(text);
    const at = { mcp_method_name: 'tools/call', network_transport: 'tcp' };
    expect(sampleValue(all, OPERATION, { ...at, gen_ai_tool_name: 'ask_echo', mcp_protocol_version: '2025-11-25' })).toBe(1);
    expect(sampleValue(all, OPERATION, { ...at, gen_ai_tool_name: 'ask_broken', mcp_protocol_version: '2025-11-25', error_type: 'upstream_error' })).toBe(1);
    expect(sampleValue(all, OPERATION, { ...at, gen_ai_tool_name: 'ask_echo', mcp_protocol_version: '2026-07-28' })).toBe(1);
    expect(sampleValue(all, OPERATION, { ...at, gen_ai_tool_name: '(unknown)', mcp_protocol_version: '2026-07-28', error_type: '-32602' })).toBe(1);
    expect(all.filter((s) => s.name === OPERATION && s.labels.gen_ai_tool_name === 'ask_echo' && s.labels.error_type)).toEqual([]);
    // Mastra's side: the agents' generate requests by route kind and status, and the listing.
    expect(sampleValue(all, 'mastra_mcp_mastra_request_duration_seconds_count', { route: 'agents/generate', status: '200' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(all, 'mastra_mcp_mastra_request_duration_seconds_count', { route: 'agents/list', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(all, 'mastra_mcp_catalogue_tools', { kind: 'agent' })).toBeGreaterThan(5);
    expect(sampleValue(all, 'mastra_mcp_catalogue_last_success_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 3600);
    expect(sampleValue(all, 'mastra_mcp_calls_in_flight')).toBe(0);
    for (const secret of [caller, service, identityOf(caller).slice(0, 12), METRICS_TOKEN, 'secret-message', 'made_up_tool_name', 'echo: '])
      expect(text).not.toContain(secret);
  });

  it('counts refusals by reason: a refused token, a body over --max-body', async () => {
    const before = await samples();
    const refusals = (all: typeof before, reason: string) => sampleValue(all, 'mastra_mcp_refusals_total', { reason }) ?? 0;
    expect(refusals(before, 'rate_limit')).toBe(0);
    expect((await postRpc(`${origin}/mcp`, { jsonrpc: '2.0', id: 1, method: 'ping' }, { authorization: 'Basic abc' })).status).toBe(403);
    expect((await postRpc(`${origin}/mcp`, { jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5000) } })).status).toBe(413);
    const after = await samples();
    expect(refusals(after, 'token_refused') - refusals(before, 'token_refused')).toBe(1);
    expect(refusals(after, 'body_too_large') - refusals(before, 'body_too_large')).toBe(1);
  });

  it('counts open 2025 sessions and tasks by status', async () => {
    const open = async () => sampleValue(await samples(), 'mastra_mcp_open_sessions') ?? 0;
    const before = await open();
    const { client, transport } = await bridge.connect({ token: caller });
    expect(await open()).toBe(before + 1);
    const stream = client.experimental.tasks.callToolStream({ name: 'ask_echo', arguments: { message: 'as a task' } }, undefined, { task: { ttl: 60_000 } });
    for await (const message of stream) if (message.type === 'result' || message.type === 'error') break;
    const all = await waitFor('the task to be counted', async () => {
      const now = await samples();
      return sampleValue(now, 'mastra_mcp_tasks_total', { status: 'completed' }) === 1 && now;
    });
    expect(sampleValue(all, 'mastra_mcp_tasks_total', { status: 'working' })).toBe(1);
    await transport!.terminateSession();
    await client.close();
    await waitFor('the session to close', async () => (await open()) === before);
  });

  it('beside stdio on --metrics-port, with network_transport "pipe"', async () => {
    const stdio = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'stdio',
      args: ['--metrics', '--metrics-port', '0'],
      env: { JWT_TOKEN: service },
    });
    try {
      const at = (await metricsUrl(stdio)).origin;
      await stdio.client.callTool({ name: 'ask_echo', arguments: { message: 'over stdio' } });
      const all = await samples(at);
      expect(sampleValue(all, OPERATION, { gen_ai_tool_name: 'ask_echo', mcp_protocol_version: '2025-11-25', network_transport: 'pipe' })).toBe(1);
    } finally {
      await stdio.close();
    }
  });
});
