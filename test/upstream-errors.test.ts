import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAIL_MESSAGE } from './fixture/fake-model.js';
import type { MastraFixture } from './fixture/mastra-app.js';
import { keepCatalogueFresh } from '../src/catalogue/refresh.js';
import { createLogger } from '../src/log.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { clientFor, marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { catalogueOf, refreshDefaults } from './support/defaults.js';

/** What the faulty upstream answers next: faults real Mastra never produces (a proxy's page, a crash dump). */
interface Fault {
  status: number;
  contentType: string;
  body: string;
}

let stack: Stack;
/** Each request the faulty upstream got: "METHOD /path", and what it carried (token and body), to find a test's own by its marker. */
type Received = { request: string; carried: string };
let faulty: { url: string; server: Server; requests: Received[]; fault: Fault };
const carrying = (marker: string) => faulty.requests.filter(({ carried }) => carried.includes(marker)).map(({ request }) => request);
beforeAll(async () => {
  stack = await startStack();
  const requests: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ request: `${req.method} ${req.url}`, carried: `${req.headers.authorization ?? ''} ${body}` });
      res.writeHead(faulty.fault.status, { 'content-type': faulty.fault.contentType }).end(faulty.fault.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  faulty = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests, fault: { status: 500, contentType: 'text/plain', body: '' } };
});
afterAll(async () => {
  faulty?.server.closeAllConnections();
  await new Promise((resolve) => faulty?.server.close(resolve));
  await stack?.close();
});

const SECRETS = ['sk-live-4242', '/srv/app/node_modules', 'at Object.<anonymous>', 'SECRET-SYSTEM-PROMPT'];
const stackTrace = `Error: provider failed\n    at Object.<anonymous> (/srv/app/node_modules/provider/index.js:12:5)\n    apiKey=sk-live-4242 instructions=SECRET-SYSTEM-PROMPT`;

const faults: [string, Fault, string][] = [
  [
    'an HTML error page',
    { status: 502, contentType: 'text/html', body: `<html><body><h1>502 Bad Gateway</h1><pre>${stackTrace}</pre></body></html>` },
    'a non-JSON body',
  ],
  ['a plain-text stack trace', { status: 500, contentType: 'text/plain', body: stackTrace }, 'a non-JSON body'],
  [
    'JSON that Mastra does not write',
    { status: 500, contentType: 'application/json', body: JSON.stringify({ message: 'boom', stack: stackTrace, apiKey: 'sk-live-4242' }) },
    'a JSON body Mastra did not write',
  ],
  [
    'an error string among keys Mastra does not write',
    { status: 503, contentType: 'application/json', body: JSON.stringify({ error: stackTrace, config: { apiKey: 'sk-live-4242' } }) },
    'a JSON body Mastra did not write',
  ],
];

const paths: [string, { onprogress?: () => void } | undefined][] = [
  ['generate', undefined],
  ['stream (progress)', { onprogress: () => {} }],
];

describe.each(paths)('what an upstream failure says, over %s', (_path, options) => {
  let bridge: ClientBridge;
  beforeAll(async () => {
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', callTo: faulty.url });
  });
  afterAll(async () => {
    await bridge?.close();
  });

  it.each(faults)('%s is measured, never quoted', async (_what, fault, kind) => {
    faulty.fault = fault;
    const message = marked('hi');
    const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message } }, undefined, options)) as CallToolResult;
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain(`Mastra at ${faulty.url} answered HTTP ${fault.status} with ${kind} (${Buffer.byteLength(fault.body)} bytes); see its logs.`);
    expect(text).toContain('agent "echo"');
    for (const secret of SECRETS) expect(JSON.stringify(result)).not.toContain(secret);
    // One request: a failed run is never retried.
    expect(carrying(message)).toHaveLength(1);
  });

  it('an empty body says so', async () => {
    faulty.fault = { status: 500, contentType: 'text/plain', body: '' };
    const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'hi' } }, undefined, options)) as CallToolResult;
    expect(textOf(result)).toContain(`Mastra at ${faulty.url} answered HTTP 500 with an empty body; see its logs.`);
  });
});

describe("Mastra's own errors pass, in Mastra's words", () => {
  let other: MastraFixture;
  let bridge: ClientBridge;
  beforeAll(async () => {
    // A second Mastra without the echo agent: the agent the bridge listed is gone there.
    other = await stack.another({ omit: ['echo'] });
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', callTo: other.url });
  });
  afterAll(async () => {
    await bridge?.close();
    await other?.close();
  });

  it("a model's failure (HTTP 500 {error})", async () => {
    const result = (await bridge.client.callTool({ name: 'ask_broken', arguments: { message: 'x' } })) as CallToolResult;
    expect(textOf(result)).toBe(
      `The agent "broken" failed on the Mastra server at ${other.url} (HTTP 500 Internal Server Error): ${FAIL_MESSAGE}. The agent or its model failed; check the Mastra server's logs, then try again.`,
    );
  });

  it('an agent that is gone (HTTP 404 {error})', async () => {
    const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'x' } }, undefined, { onprogress: () => {} })) as CallToolResult;
    expect(textOf(result)).toContain(`no longer has agent "echo" (HTTP 404 Not Found: Agent with id echo not found)`);
  });
});

describe('a listing that fails', () => {
  it.each(faults)('with %s logs what kind of body came, never the body', async (_what, fault, kind) => {
    faulty.fault = fault;
    const lines: string[] = [];
    // The listing's token marks its requests.
    const token = marked('listing');
    const refresher = keepCatalogueFresh({
      ...refreshDefaults(),
      catalogue: catalogueOf(clientFor(faulty.url, token)),
      baseUrl: faulty.url,
      logger: createLogger('debug', (line) => lines.push(line)),
      firstRetryDelayMs: 60_000,
    });
    await refresher.firstAttempt;
    refresher.stop();
    expect(carrying(token)).toContain('GET /api/agents?partial=true');
    expect(lines.join('')).toContain(`HTTP ${fault.status} with ${kind} (${Buffer.byteLength(fault.body)} bytes)`);
    for (const secret of SECRETS) expect(lines.join('')).not.toContain(secret);
  });
});
