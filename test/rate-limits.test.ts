import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StdioClientTransport as ModernStdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { BIN, modernClient, startStack, waitFor, type Stack } from './helpers.js';
import { initializeRequest, postRpc, spawnHttpBin, type SpawnedBridge } from './http-helpers.js';
import { startRedis, type RedisServer } from './servers/redis.js';

/**
 * `--rate-limit N/TIME`: tools/call and task creation per identity, in both eras; over it HTTP 429 with
 * Retry-After, or a JSON-RPC error naming the limit over stdio; shared by replicas through Redis, and
 * calls go on when Redis is gone.
 */

let stack: Stack;
const bins: SpawnedBridge[] = [];

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  for (const bin of bins) bin.child.kill();
  await Promise.all(bins.map((bin) => bin.exited));
  await stack?.close();
});

async function bridge(args: string[]): Promise<{ url: string; bin: SpawnedBridge }> {
  const bin = spawnHttpBin(args, { MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'info' });
  bins.push(bin);
  return { url: await bin.url, bin };
}

const call = (id: number, params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'ask_echo', arguments: { message: `call ${id}` }, ...params },
});

/** A 2026-07-28 tools/call as a conforming client frames it. */
function modernCall(url: string, token: string, id: number, extensions: Record<string, unknown> = {}): Promise<Response> {
  const body = call(id, {
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': { extensions },
    },
  });
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'ask_echo',
    },
    body: JSON.stringify(body),
  });
}

/** A 2025-11-25 session of `token`, and a way to post its calls. */
async function legacySession(url: string, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  const opened = await postRpc(url, initializeRequest, auth);
  const session = { ...auth, 'mcp-session-id': opened.headers.get('mcp-session-id')! };
  await opened.text();
  await (await postRpc(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
  return (body: unknown) => postRpc(url, body, session);
}

async function expectRefused(response: Response): Promise<void> {
  expect(response.status).toBe(429);
  expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const body = (await response.json()) as { error: { message: string } };
  expect(body.error.message).toContain('--rate-limit 2/1m');
}

async function expectServed(response: Response): Promise<void> {
  expect(response.status).toBe(200);
  expect(await response.text()).toContain('echo: call');
}

it('a rate limit that is not N/TIME stops the bin with one line naming the setting', async () => {
  for (const bad of ['60', '60/1', '0/1m', '60/1.5s', 'x/1m']) {
    let stderr = '';
    const code = await main(['--rate-limit', bad], {}, { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(`--rate-limit="${bad}" must be N/TIME`);
  }
  let stderr = '';
  await main([], { MCP_RATE_LIMIT: '5' }, { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } });
  expect(stderr).toContain('MCP_RATE_LIMIT="5" must be N/TIME');
});

describe('over HTTP, per identity, in both eras', () => {
  let url: string;
  beforeAll(async () => {
    ({ url } = await bridge(['--rate-limit', '2/1m']));
  }, 60_000);

  it('2026-07-28: the third call of a minute gets 429 with Retry-After; a task creation counts', async () => {
    await expectServed(await modernCall(url, 'alice', 1));
    const task = await modernCall(url, 'alice', 2, { 'io.modelcontextprotocol/tasks': {} });
    expect(task.status).toBe(200);
    expect(await task.text()).toContain('"resultType":"task"');
    await expectRefused(await modernCall(url, 'alice', 3));
  });

  it('2025-11-25: the same in a session, for another identity whose bucket is its own', async () => {
    const post = await legacySession(url, 'bob');
    await expectServed(await post(call(1)));
    const task = await post(call(2, { task: { ttl: 60_000 } }));
    expect(task.status).toBe(200);
    expect(await task.text()).toContain('taskId');
    await expectRefused(await post(call(3)));
    // Neither listing nor anything but tools/call is counted.
    expect((await post({ jsonrpc: '2.0', id: 4, method: 'tools/list' })).status).toBe(200);
  });
});

describe('over stdio, a JSON-RPC error naming the limit', () => {
  const spawnArgs = () => ({
    command: process.execPath,
    args: [BIN, '--rate-limit', '1/1m'],
    env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn' },
    stderr: 'pipe' as const,
  });

  it('2025-11-25', async () => {
    const client = new Client({ name: 'rate-test', version: '1' });
    await client.connect(new StdioClientTransport(spawnArgs()));
    try {
      expect((await client.callTool({ name: 'ask_echo', arguments: { message: 'one' } })).isError).toBeFalsy();
      await expect(client.callTool({ name: 'ask_echo', arguments: { message: 'two' } })).rejects.toThrow(/--rate-limit 1\/1m/);
      // The session goes on: what is not a call still works.
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('2026-07-28', async () => {
    const client = modernClient();
    await client.connect(new ModernStdioClientTransport(spawnArgs()));
    try {
      expect((await client.callTool({ name: 'ask_echo', arguments: { message: 'one' } })).isError).toBeFalsy();
      await expect(client.callTool({ name: 'ask_echo', arguments: { message: 'two' } })).rejects.toThrow(/--rate-limit 1\/1m/);
    } finally {
      await client.close();
    }
  });
});

describe('shared by replicas through Redis', () => {
  let redis: RedisServer;
  let replicas: { url: string; bin: SpawnedBridge }[];

  beforeAll(async () => {
    redis = await startRedis();
    replicas = await Promise.all([0, 1].map(() => bridge(['--rate-limit', '2/1m', '--redis-url', redis.url])));
    for (const { bin } of replicas) await waitFor('the replica to reach Redis', () => bin.stderr().includes('answers'));
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it("a caller's calls on one replica count on the other; with Redis gone, calls go on", async () => {
    const [one, two] = replicas as [(typeof replicas)[0], (typeof replicas)[0]];
    await expectServed(await modernCall(one.url, 'carol', 1));
    await expectServed(await modernCall(two.url, 'carol', 2));
    await expectRefused(await modernCall(one.url, 'carol', 3));
    await expectRefused(await modernCall(two.url, 'carol', 4));
    // The bucket is in Redis, under the prefix.
    expect(await redis.client.keys('mastra-agents-mcp:rate-limit*')).toHaveLength(1);

    await redis.kill();
    await waitFor('the replicas to see Redis gone', () => replicas.every(({ bin }) => bin.stderr().includes('cannot be reached')));
    await expectServed(await modernCall(one.url, 'carol', 5));
    await expectServed(await modernCall(two.url, 'carol', 6));
    for (const { bin } of replicas) expect(bin.stderr()).toMatch(/the rate limit cannot be counted .*calls are let through/);
  });
});
