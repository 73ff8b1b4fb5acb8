import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './support/bin.js';
import { startBridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { INITIALIZE_PARAMS as initialize } from './support/raw-stdio.js';
import { closedPort, waitFor } from './support/waiting.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The bin at --log-level debug, spoken to in JSON-RPC lines by hand: every stdout line it prints is kept. */
const spawnBridge = (mastraUrl = stack.mastra.url) => startBridge({ mastraUrl, transport: 'stdio', client: 'raw', args: ['--log-level', 'debug'] });

describe('the stdio bin', () => {
  it('prints nothing but JSON-RPC messages on stdout, logs on stderr, and exits when stdin ends', async () => {
    const bridge = await spawnBridge();
    const init = await bridge.raw.request('initialize', initialize);
    expect(init.result.serverInfo.name).toBe('mastra-agents-mcp');
    expect(init.result.capabilities.tools).toEqual({ listChanged: true });
    bridge.raw.notify('notifications/initialized');
    const list = await bridge.raw.request('tools/list', {});
    expect(list.result.tools.map((t: { name: string }) => t.name)).toContain('ask_echo');
    const echo = await bridge.raw.request('tools/call', { name: 'ask_echo', arguments: { message: 'over stdio' } });
    expect(echo.result.content[0].text).toBe('echo: over stdio');
    const broken = await bridge.raw.request('tools/call', { name: 'ask_broken', arguments: { message: 'x' } });
    expect(broken.result.isError).toBe(true);
    bridge.raw.end();
    expect(await bridge.exited).toBe(0);

    expect(bridge.raw.lines.length).toBeGreaterThanOrEqual(4);
    for (const line of bridge.raw.lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(bridge.stderr()).toContain('serving 10 agents from');
    expect(bridge.stderr()).toContain('calling agent "echo"');
  });

  it('starts and answers even when Mastra is down, saying why on stderr', async () => {
    const deadUrl = `http://127.0.0.1:${await closedPort()}`;
    const bridge = await spawnBridge(deadUrl);
    const init = await bridge.raw.request('initialize', initialize);
    expect(init.result.serverInfo.name).toBe('mastra-agents-mcp');
    const list = await bridge.raw.request('tools/list', {});
    expect(list.result.tools).toEqual([]);
    bridge.raw.end();
    expect(await bridge.exited).toBe(0);
    expect(bridge.stderr()).toContain(`could not load the agents from the Mastra server at ${deadUrl}`);
    expect(bridge.stderr()).toContain('ECONNREFUSED');
  });

  it('--help and --version print and exit 0', () => {
    const help = runBin(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: mastra-agents-mcp');
    expect(help.stdout).toContain('MASTRA_BASE_URL');
    const version = runBin(['--version']);
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
    const run = runBin(args, extraEnv);
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
    const bridge = await spawnBridge();
    await bridge.raw.initialize();
    const huge = 'x'.repeat(11 * 1024 * 1024);
    const answerTo = (id: number | string) => Promise.race([bridge.raw.answerTo(id, 20_000), bridge.exited.then((code) => ({ exitedWith: code }))]);
    const params = { name: 'ask_echo', arguments: { message: huge } };
    // The SDK's clients write the id last; others first.
    bridge.raw.send({ method: 'tools/call', params, jsonrpc: '2.0', id: 'last' });
    bridge.raw.send({ jsonrpc: '2.0', id: 77, method: 'tools/call', params });
    bridge.raw.send({ jsonrpc: '2.0', method: 'notifications/whatever', params });
    for (const id of ['last', 77]) {
      expect(await answerTo(id)).toEqual({
        jsonrpc: '2.0',
        id,
        error: { code: -32600, message: expect.stringContaining('over the 10 MiB (10485760 bytes) a stdio message may have') },
      });
    }
    const echo = await bridge.raw.request('tools/call', { name: 'ask_echo', arguments: { message: 'still here' } });
    expect(echo.result.content[0].text).toBe('echo: still here');
    bridge.raw.end();
    expect(await bridge.exited).toBe(0);
    expect(bridge.stderr()).toContain('refused a stdio message of 11534');
    expect(bridge.stderr()).toContain('its id could not be read, so no error reply was sent');
  });
});

describe('a client that dies mid-call', () => {
  it('ends the session: the bin stops the agent upstream and exits 0 instead of crashing on the broken pipe', async () => {
    const bridge = await spawnBridge();
    await bridge.raw.initialize();
    const message = marked('nobody reads this');
    bridge.raw.send({ jsonrpc: '2.0', id: 99, method: 'tools/call', params: { name: 'ask_slow', arguments: { message }, _meta: { progressToken: 1 } } });
    const upstream = await stack.requestFor(message, (r) => r.firstChunkAt !== undefined);
    // The reading end goes away while the bin is writing progress: its next write breaks the pipe.
    bridge.child.stdout!.destroy();
    expect(await bridge.exited).toBe(0);
    await waitFor('the upstream request to end', () => upstream.endedAt !== undefined);
    expect(upstream.aborted).toBe(true);
  });
});
