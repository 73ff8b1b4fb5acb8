import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES } from './support/mcp-clients.js';
import { postModern, TASKS_CAPABILITY } from './support/raw-http.js';
import { waitFor } from './support/waiting.js';

/**
 * With the standard OTEL_* variables, the bridge exports its own spans over OTLP/HTTP. No collector can be
 * installed here, so the test is its own receiver: a node:http server taking the exporter's OTLP/JSON
 * (the encoding exporter-trace-otlp-http sends; @opentelemetry/otlp-transformer 0.301 serializes requests
 * but has no request decoder, so JSON.parse reads them). Without OTEL_*, the SDK is never loaded.
 */

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
  events?: { name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[];
  status?: { code?: number };
}

const SERVER = 2;
const CLIENT = 3;
const TOKEN = 'caller-token-do-not-export-5521';
const MESSAGE = 'private message do not export 8812';

const attributesOf = (span: OtlpSpan) => Object.fromEntries(span.attributes.map(({ key, value }) => [key, Object.values(value)[0]]));

let stack: Stack;
let receiver: Server;
let endpoint: string;
const bodies: string[] = [];
const spans = (): OtlpSpan[] =>
  bodies.flatMap((body) =>
    (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
  );

beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
  await stack?.close();
});

describe('spans exported over OTLP/HTTP', () => {
  let bin: Bridge;
  let url: string;
  beforeAll(async () => {
    bin = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'http',
      bin: true,
      client: 'none',
      env: { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' },
    });
    url = bin.url;
  }, 60_000);
  afterAll(async () => {
    await bin?.close();
  });

  it.each(ERA_CASES)('$name: a server span per tools/call in the caller trace, a client span per Mastra request, progress events', async ({ era, name }) => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const { client, close } = await bin.connect({ era, token: TOKEN, name: 'export-test' });
    try {
      const result = await client.callTool(
        { name: 'ask_echo', arguments: { message: MESSAGE }, _meta: { traceparent: `00-${traceId}-${callerSpan}-01` } },
        undefined,
        { onprogress: () => {} },
      );
      expect(result.isError).toBeFalsy();
      expect((await client.callTool({ name: 'ask_echo', arguments: {}, _meta: { traceparent: `00-${traceId}-${callerSpan}-01` } })).isError).toBe(true);
    } finally {
      await close();
    }
    const [ok, failed] = await waitFor('both calls exported', () => {
      const calls = spans().filter((span) => span.traceId === traceId && span.kind === SERVER);
      return calls.length === 2 && calls;
    });
    for (const server of [ok!, failed!]) {
      expect(server.name).toBe('tools/call ask_echo');
      expect(server.parentSpanId).toBe(callerSpan);
      expect(attributesOf(server)).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'ask_echo',
        'mcp.protocol.version': name,
        'network.transport': 'tcp',
      });
    }
    const [answered, refused] = attributesOf(ok!)['error.type'] === undefined ? [ok!, failed!] : [failed!, ok!];
    expect(attributesOf(refused)['error.type']).toBe('tool_error');
    expect(refused.status?.code).toBe(2);
    expect(answered.events?.some((event) => event.name === 'mcp.progress')).toBe(true);
    // The run's request to Mastra: a client span inside the call's, named by its route.
    const requests = await waitFor('the client span', () => {
      const found = spans().filter((span) => span.parentSpanId === answered.spanId && span.kind === CLIENT);
      return found.length > 0 && found;
    });
    expect(requests.map((span) => span.name)).toContain('POST /api/agents/{agentId}/stream');
    expect(attributesOf(requests[0]!)).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'server.address': '127.0.0.1' });
    // Neither the caller's token nor its message is in anything exported.
    expect(bodies.join('\n')).not.toContain(TOKEN);
    expect(bodies.join('\n')).not.toContain(MESSAGE);
  });

  it("a task's span lasts until its run ends, with its status and its question for the person as events", async () => {
    const traceId = randomBytes(16).toString('hex');
    // banker's tool needs approval; this client cannot be asked, so the run pauses once and the call is declined.
    expect(await modernTask(url, 'ask_banker', 'move the money', `00-${traceId}-${randomBytes(8).toString('hex')}-01`)).toContain('"resultType":"task"');
    const span = await waitFor('the task span', () => spans().find((s) => s.traceId === traceId && s.kind === SERVER));
    const events = (span.events ?? []).map((event) => [event.name, Object.values(event.attributes?.[0]?.value ?? {})[0]]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['mcp.task.status', 'working'],
        ['mcp.input_required', 'approval'],
        ['mcp.task.status', 'completed'],
      ]),
    );
    expect(events.findIndex(([name]) => name === 'mcp.input_required')).toBeLessThan(events.findIndex(([, value]) => value === 'completed'));
  });
});

/** A raw 2026-07-28 tools/call as a task (the tasks extension declared), its trace context in the HTTP header. */
async function modernTask(url: string, name: string, message: string, traceparent: string): Promise<string> {
  const response = await postModern(url, 'tools/call', { name, arguments: { message } }, { capabilities: TASKS_CAPABILITY, headers: { traceparent } });
  return response.text();
}

/** The package modules a stdio bin resolved while serving one traced call of `traceId` (test/fixture/record-imports.mjs). */
async function modulesLoaded(env: Record<string, string>, traceId = randomBytes(16).toString('hex')): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-imports-'));
  const file = join(dir, 'imports.txt');
  const preload = new URL('./fixture/record-imports.mjs', import.meta.url).pathname;
  const bridge = await startBridge({
    mastraUrl: stack.mastra.url,
    transport: 'stdio',
    name: 'imports-test',
    // As `node --import <preload> cli.js`: the hook is in place before the bin's first import.
    env: { LOG_LEVEL: 'warn', NODE_OPTIONS: `--import=${preload}`, RECORD_IMPORTS_TO: file, ...env },
  });
  try {
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    expect((await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'hi' }, _meta: { traceparent } })).isError).toBeFalsy();
    return await readFile(file, 'utf8');
  } finally {
    await bridge.close();
    await rm(dir, { recursive: true, force: true });
  }
}

it('without OTEL_* the OpenTelemetry SDK is never loaded; a traced call loads only the W3C propagator', async () => {
  const plain = await modulesLoaded({});
  expect(plain).toContain('/@opentelemetry/core/');
  expect(plain).not.toContain('/@opentelemetry/sdk-trace/');
  expect(plain).not.toContain('/@opentelemetry/exporter-trace-otlp-http/');
  expect(plain).not.toContain('/rate-limiter-flexible/');
  // Nor what --trust-proxy needs, without it.
  expect(plain).not.toContain('/proxy-addr/');
  // OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED turn export off whatever the endpoint says.
  for (const off of [{ OTEL_TRACES_EXPORTER: 'none' }, { OTEL_SDK_DISABLED: 'true' }] as Record<string, string>[])
    expect(await modulesLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...off })).not.toContain('/@opentelemetry/sdk-trace/');
  const traceId = randomBytes(16).toString('hex');
  const exporting = await modulesLoaded({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` }, traceId);
  expect(exporting).toContain('/@opentelemetry/sdk-trace/');
  expect(exporting).toContain('/@opentelemetry/exporter-trace-otlp-http/');
  // Over stdio the span says so; the bin sends what it still holds as it ends.
  const span = await waitFor('the stdio call span', () => spans().find((s) => s.traceId === traceId && s.kind === SERVER));
  expect(attributesOf(span)).toMatchObject({ 'network.transport': 'pipe', 'mcp.protocol.version': '2025-11-25', 'gen_ai.tool.name': 'ask_echo' });
}, 60_000);
