import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { clientFor, startStack, type Stack } from './support/mastra.js';
import type { BridgeClient, Era } from './support/mcp-clients.js';
import { waitFor } from './support/waiting.js';

/**
 * A trace the MCP client starts reaches into Mastra: the bridge passes the caller's W3C trace context on
 * (`tracingOptions` in the run, `traceparent` on the request), and Mastra's own tracing, read back through
 * its API, keeps the agent or workflow run under the caller's trace id. No exporter is configured here.
 */

const newTrace = () => {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
};

interface MastraSpan {
  traceId: string;
  name: string;
  spanType: string;
  entityId: string | null;
}

let stack: Stack;
let http: Bridge;
let url: string;

/** Mastra's trace of that id, once its exporter has stored the run's root span. */
async function mastraTrace(traceId: string, spanType: string): Promise<MastraSpan[]> {
  const mastra = clientFor(stack.mastra.url);
  return waitFor(`Mastra's trace ${traceId}`, async () => {
    const trace = (await mastra.getTrace(traceId).catch(() => undefined)) as { spans?: MastraSpan[] } | undefined;
    return trace?.spans?.some((span) => span.spanType === spanType) && trace.spans;
  });
}

beforeAll(async () => {
  stack = await startStack({ observability: true, workflows: true });
  http = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', bin: true, client: 'none', env: { LOG_LEVEL: 'info' } });
  url = http.url;
}, 60_000);

afterAll(async () => {
  await http?.close();
  await stack?.close();
});

/** A client of the bridge, and the bridge's stderr, where each call's log line is. */
interface Reached {
  client: BridgeClient;
  stderr(): string;
  close(): Promise<void>;
}

/** A client of `era` of the HTTP bin above. */
async function overHttp(era: Era): Promise<Reached> {
  const { client, close } = await http.connect({ era });
  return { client, stderr: http.stderr, close };
}

/** A stdio bin of its own, with a client of `era`. */
async function overStdio(era: Era): Promise<Reached> {
  const bin = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', era, env: { LOG_LEVEL: 'info' } });
  return { client: bin.client, stderr: bin.stderr, close: bin.close };
}

const ways: { name: string; connect(): Promise<Reached> }[] = [
  { name: '2025-11-25 over HTTP', connect: () => overHttp('legacy') },
  { name: '2026-07-28 over HTTP', connect: () => overHttp('modern') },
  { name: '2025-11-25 over stdio', connect: () => overStdio('legacy') },
  { name: '2026-07-28 over stdio', connect: () => overStdio('modern') },
];

describe.each(ways)('a trace started by the client reaches Mastra ($name)', (way) => {
  it("an agent's run is in Mastra's trace of the caller's trace id (_meta.traceparent), and the call's log line names it", async () => {
    const { client, stderr, close } = await way.connect();
    try {
      const { traceId, traceparent } = newTrace();
      const result = await client.callTool({ name: 'ask_echo', arguments: { message: 'hello' }, _meta: { traceparent } });
      expect(result.isError).toBeFalsy();
      const spans = await mastraTrace(traceId, 'agent_run');
      expect(spans.find((span) => span.spanType === 'agent_run')).toMatchObject({ traceId, entityId: 'echo' });
      // The operator's line of the call (info) carries the caller's trace id, to find the call from its trace.
      await waitFor(`the call's log line with trace=${traceId}`, () => stderr().includes(`trace=${traceId}`));
      expect(stderr()).toMatch(new RegExp(`: info: tools/call ask_echo answered after .* trace=${traceId}\\n`));
    } finally {
      await close();
    }
  });

  it("a workflow's run is in Mastra's trace of the caller's trace id", async () => {
    const { client, close } = await way.connect();
    try {
      const { traceId, traceparent } = newTrace();
      const result = await client.callTool({ name: 'run_greet', arguments: { name: 'ann', times: 1 }, _meta: { traceparent } });
      expect(result.isError).toBeFalsy();
      const spans = await mastraTrace(traceId, 'workflow_run');
      expect(spans.find((span) => span.spanType === 'workflow_run')).toMatchObject({ traceId, entityId: 'greet' });
    } finally {
      await close();
    }
  });
});

it('the HTTP traceparent header is read when _meta carries none (2025-11-25)', async () => {
  const { traceId, traceparent } = newTrace();
  const client = new Client({ name: 'trace-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { traceparent } } }));
  try {
    expect((await client.callTool({ name: 'ask_echo', arguments: { message: 'hello' } })).isError).toBeFalsy();
    expect((await mastraTrace(traceId, 'agent_run')).every((span) => span.traceId === traceId)).toBe(true);
  } finally {
    await client.close();
  }
});

it('_meta wins over the header, and a malformed traceparent is not passed on', async () => {
  const header = newTrace();
  const meta = newTrace();
  const client = new Client({ name: 'trace-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { traceparent: header.traceparent } } }));
  try {
    await client.callTool({ name: 'ask_echo', arguments: { message: 'hello' }, _meta: { traceparent: meta.traceparent } });
    await mastraTrace(meta.traceId, 'agent_run');
    // All-zero ids are invalid W3C trace context: the run gets a trace of Mastra's own instead.
    const invalid = `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`;
    expect((await client.callTool({ name: 'ask_echo', arguments: { message: 'zeros' }, _meta: { traceparent: invalid } })).isError).toBeFalsy();
    const mastra = clientFor(stack.mastra.url);
    expect(await mastra.getTrace(header.traceId).catch(() => undefined)).toBeUndefined();
    expect(await mastra.getTrace('0'.repeat(32)).catch(() => undefined)).toBeUndefined();
  } finally {
    await client.close();
  }
});
