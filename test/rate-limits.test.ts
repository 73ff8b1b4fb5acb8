import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES } from './support/mcp-clients.js';
import { parseSamples, sampleValue } from './support/prometheus-text.js';
import { initializeRequest, postModern, postRpc, TASKS_CAPABILITY } from './support/raw-http.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { havePrograms } from './support/system-programs.js';
import { waitFor } from './support/waiting.js';

/**
 * `--rate-limit N/TIME`: tools/call and task creation per identity, in both eras; over it HTTP 429 with
 * Retry-After, or a JSON-RPC error naming the limit over stdio; shared by replicas through Redis, and
 * calls go on when Redis is gone. With `--metrics`, refusals and calls let through unchecked are counted.
 */

let stack: Stack;
const bridges: Bridge[] = [];

beforeAll(async () => {
  stack = await startStack();
}, 60_000);

afterAll(async () => {
  for (const bridge of bridges) await bridge.close();
  await stack?.close();
});

/** The HTTP bin with `args` and its metrics on /metrics (no token), closed after the file. */
async function bridge(args: string[]): Promise<Bridge> {
  const started = await startBridge({
    mastraUrl: stack.mastra.url,
    transport: 'http',
    bin: true,
    client: 'none',
    args: ['--metrics', ...args],
    env: { LOG_LEVEL: 'info' },
  });
  bridges.push(started);
  return started;
}

/** A sample of the bin's /metrics (0 when it has none yet). */
async function metric(bin: Bridge, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(new URL('/metrics', bin.url))).text();
  return sampleValue(parseSamples(text), name, labels) ?? 0;
}
const refusals = (bin: Bridge) => metric(bin, 'mastra_mcp_refusals_total', { reason: 'rate_limit' });
const unchecked = (bin: Bridge) => metric(bin, 'mastra_mcp_rate_limit_unchecked_total');

const call = (id: number, params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'ask_echo', arguments: { message: `call ${id}` }, ...params },
});

/** A 2026-07-28 tools/call as a conforming client frames it; `capabilities` may declare the tasks extension. */
const modernCall = (url: string, token: string, id: number, capabilities: Record<string, unknown> = { extensions: {} }): Promise<Response> =>
  postModern(url, 'tools/call', call(id).params, { token, capabilities });

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
  let bin: Bridge;
  beforeAll(async () => {
    bin = await bridge(['--rate-limit', '2/1m']);
  }, 60_000);

  it('2026-07-28: the third call of a minute gets 429 with Retry-After; a task creation counts; the refusal is counted', async () => {
    await expectServed(await modernCall(bin.url, 'alice', 1));
    const task = await modernCall(bin.url, 'alice', 2, TASKS_CAPABILITY);
    expect(task.status).toBe(200);
    expect(await task.text()).toContain('"resultType":"task"');
    const before = await refusals(bin);
    await expectRefused(await modernCall(bin.url, 'alice', 3));
    expect((await refusals(bin)) - before).toBe(1);
  });

  it('2025-11-25: the same in a session, for another identity whose bucket is its own; the refusal is counted', async () => {
    const post = await legacySession(bin.url, 'bob');
    await expectServed(await post(call(1)));
    const task = await post(call(2, { task: { ttl: 60_000 } }));
    expect(task.status).toBe(200);
    expect(await task.text()).toContain('taskId');
    const before = await refusals(bin);
    await expectRefused(await post(call(3)));
    expect((await refusals(bin)) - before).toBe(1);
    // Neither listing nor anything but tools/call is counted.
    expect((await post({ jsonrpc: '2.0', id: 4, method: 'tools/list' })).status).toBe(200);
  });
});

describe('over stdio, a JSON-RPC error naming the limit', () => {
  it.each(ERA_CASES)('$name', async ({ era }) => {
    const bin = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', era, args: ['--rate-limit', '1/1m'], env: { LOG_LEVEL: 'warn' } });
    try {
      expect((await bin.client.callTool({ name: 'ask_echo', arguments: { message: 'one' } })).isError).toBeFalsy();
      await expect(bin.client.callTool({ name: 'ask_echo', arguments: { message: 'two' } })).rejects.toThrow(/--rate-limit 1\/1m/);
      // The session goes on: what is not a call still works.
      expect((await bin.client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await bin.close();
    }
  });
});

describe.runIf(havePrograms({ 'redis-server': 'redis-server' }))('shared by replicas through Redis', () => {
  let redis: RedisServer;
  let replicas: Bridge[];

  beforeAll(async () => {
    redis = await startRedis();
    replicas = await Promise.all([0, 1].map(() => bridge(['--rate-limit', '2/1m', '--redis-url', redis.url])));
    for (const replica of replicas) await waitFor('the replica to reach Redis', () => replica.stderr().includes('answers'));
  }, 60_000);

  afterAll(async () => {
    await redis?.stop();
  });

  it("a caller's calls on one replica count on the other; with Redis gone, calls go on, counted as unchecked", async () => {
    const [one, two] = replicas as [Bridge, Bridge];
    await expectServed(await modernCall(one.url, 'carol', 1));
    await expectServed(await modernCall(two.url, 'carol', 2));
    await expectRefused(await modernCall(one.url, 'carol', 3));
    await expectRefused(await modernCall(two.url, 'carol', 4));
    // The bucket is in Redis, under the prefix.
    expect(await redis.client.keys('mastra-agents-mcp:rate-limit*')).toHaveLength(1);
    for (const replica of replicas) expect(await unchecked(replica)).toBe(0);

    await redis.kill();
    await waitFor('the replicas to see Redis gone', () => replicas.every((replica) => replica.stderr().includes('cannot be reached')));
    await expectServed(await modernCall(one.url, 'carol', 5));
    await expectServed(await modernCall(two.url, 'carol', 6));
    for (const replica of replicas) {
      expect(replica.stderr()).toMatch(/the rate limit cannot be counted .*calls are let through/);
      expect(await unchecked(replica)).toBe(1);
    }
  });
});
