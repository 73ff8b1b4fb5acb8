import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startStack, waitFor, type Stack } from './helpers.js';

import { BIN } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const env = (extra: Record<string, string>) => ({ PATH: process.env.PATH ?? '', ...extra });

/** Talks newline-delimited JSON-RPC to the spawned bin and keeps every stdout line it printed. */
function spawnBridge(extraEnv: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, '--log-level', 'debug'], { env: env(extraEnv), stdio: ['pipe', 'pipe', 'pipe'] });
  const stdoutLines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiting = new Map<number, (message: { result?: any; error?: any }) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    stdoutLines.push(line);
    const message = JSON.parse(line) as { id?: number; result?: unknown };
    if (typeof message.id === 'number') waiting.get(message.id)?.(message);
  });
  let nextId = 1;
  const request = (method: string, params: unknown) =>
    new Promise<{ result?: any; error?: any }>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  const notify = (method: string) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method })}\n`);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdoutLines, stderr: () => stderr, request, notify, exited };
}

const initialize = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } };

describe('the stdio bin', () => {
  it('prints nothing but JSON-RPC messages on stdout, logs on stderr, and exits when stdin ends', async () => {
    const bridge = spawnBridge({ MASTRA_BASE_URL: stack.mastra.url });
    const init = await bridge.request('initialize', initialize);
    expect(init.result.serverInfo.name).toBe('mastra-agents-mcp');
    expect(init.result.capabilities.tools).toEqual({ listChanged: true });
    bridge.notify('notifications/initialized');
    const list = await bridge.request('tools/list', {});
    expect(list.result.tools.map((t: { name: string }) => t.name)).toContain('ask_echo');
    const echo = await bridge.request('tools/call', { name: 'ask_echo', arguments: { message: 'over stdio' } });
    expect(echo.result.content[0].text).toBe('echo: over stdio');
    const broken = await bridge.request('tools/call', { name: 'ask_broken', arguments: { message: 'x' } });
    expect(broken.result.isError).toBe(true);
    bridge.child.stdin.end();
    expect(await bridge.exited).toBe(0);

    expect(bridge.stdoutLines.length).toBeGreaterThanOrEqual(4);
    for (const line of bridge.stdoutLines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(bridge.stderr()).toContain('serving 10 agents from');
    expect(bridge.stderr()).toContain('calling agent "echo"');
  });

  it('starts and answers even when Mastra is down, saying why on stderr', async () => {
    const deadUrl = `http://127.0.0.1:${await closedPort()}`;
    const bridge = spawnBridge({ MASTRA_BASE_URL: deadUrl });
    const init = await bridge.request('initialize', initialize);
    expect(init.result.serverInfo.name).toBe('mastra-agents-mcp');
    const list = await bridge.request('tools/list', {});
    expect(list.result.tools).toEqual([]);
    bridge.child.stdin.end();
    expect(await bridge.exited).toBe(0);
    expect(bridge.stderr()).toContain(`could not load the agents from the Mastra server at ${deadUrl}`);
    expect(bridge.stderr()).toContain('ECONNREFUSED');
  });

  it('--help and --version print and exit 0', () => {
    const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: mastra-agents-mcp');
    expect(help.stdout).toContain('MASTRA_BASE_URL');
    const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [{ MASTRA_BASE_URL: 'not a url' }, [], 'MASTRA_BASE_URL="not a url" must be an http:// or https:// URL'],
    [{ MASTRA_BASE_URL: 'ftp://x' }, [], 'MASTRA_BASE_URL="ftp://x" must be an http:// or https:// URL'],
    [{ MASTRA_BASE_URL: 'http://me:s3cret@x' }, [], 'MASTRA_BASE_URL="http://***@x" must not contain a user or password'],
    [{}, ['--port', '99999'], '--port="99999" must be from 0 to 65535'],
    [{ MCP_TRANSPORT: 'carrier-pigeon' }, [], 'MCP_TRANSPORT="carrier-pigeon" must be stdio or http'],
    [{}, ['--bogus'], "Unknown option '--bogus'"],
    [{}, ['--call-timeout', '600000'], '--call-timeout="600000" has no unit: write 600000ms (600000s would be over 24h)'],
    [{}, ['--port', ' '], '--port=" " must be a number from 0 to 65535'],
    [{}, ['--task-ttl-max', '30d'], '--task-ttl-max="30d" has a unit durations do not take (they take ms, s, m and h); and it would be over 24h'],
    [{ MASTRA_BASE_URL: 'http://localhost:4111/?x=1' }, [], 'MASTRA_BASE_URL="http://localhost:4111/?x=1" must not contain a query string or fragment'],
  ])('bad configuration %j %j exits 1 with one clear line', (extraEnv, args, expected) => {
    const run = spawnSync(process.execPath, [BIN, ...args], { env: env(extraEnv), encoding: 'utf8', input: '' });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(expected);
    expect(run.stderr).not.toContain('s3cret');
  });
});

describe('a message over the 10 MiB stdio limit', () => {
  it('is refused with a JSON-RPC error naming the limit, whichever end its id is at, and the bin keeps serving', async () => {
    const bridge = spawnBridge({ MASTRA_BASE_URL: stack.mastra.url });
    await bridge.request('initialize', initialize);
    bridge.notify('notifications/initialized');
    const huge = 'x'.repeat(11 * 1024 * 1024);
    const answerTo = (id: number | string) =>
      Promise.race([
        waitFor(`the answer to ${id}`, () => bridge.stdoutLines.map((line) => JSON.parse(line)).find((m) => m.id === id), 20_000),
        bridge.exited.then((code) => ({ exitedWith: code })),
      ]);
    const params = { name: 'ask_echo', arguments: { message: huge } };
    // The SDK's clients write the id last; others first.
    bridge.child.stdin.write(`${JSON.stringify({ method: 'tools/call', params, jsonrpc: '2.0', id: 'last' })}\n`);
    bridge.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 77, method: 'tools/call', params })}\n`);
    bridge.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/whatever', params })}\n`);
    for (const id of ['last', 77]) {
      expect(await answerTo(id)).toEqual({
        jsonrpc: '2.0',
        id,
        error: { code: -32600, message: expect.stringContaining('over the 10 MiB (10485760 bytes) a stdio message may have') },
      });
    }
    const echo = await bridge.request('tools/call', { name: 'ask_echo', arguments: { message: 'still here' } });
    expect(echo.result.content[0].text).toBe('echo: still here');
    bridge.child.stdin.end();
    expect(await bridge.exited).toBe(0);
    expect(bridge.stderr()).toContain('refused a stdio message of 11534');
    expect(bridge.stderr()).toContain('its id could not be read, so no error reply was sent');
  });
});

describe('a client that dies mid-call', () => {
  it('ends the session: the bin stops the agent upstream and exits 0 instead of crashing on the broken pipe', async () => {
    const bridge = spawnBridge({ MASTRA_BASE_URL: stack.mastra.url });
    await bridge.request('initialize', initialize);
    bridge.notify('notifications/initialized');
    bridge.child.stdin.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'ask_slow', arguments: { message: 'nobody reads this' }, _meta: { progressToken: 1 } } })}\n`,
    );
    await waitFor('the slow run', () => stack.model.requests.find((r) => r.lastUserMessage === 'nobody reads this' && r.firstChunkAt !== undefined));
    // The reading end goes away while the bin is writing progress: its next write breaks the pipe.
    bridge.child.stdout.destroy();
    expect(await bridge.exited).toBe(0);
    const upstream = stack.model.requests.find((r) => r.lastUserMessage === 'nobody reads this')!;
    await waitFor('the upstream request to end', () => upstream.endedAt !== undefined);
    expect(upstream.aborted).toBe(true);
  });
});
