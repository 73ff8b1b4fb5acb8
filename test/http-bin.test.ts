import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, textOf, waitFor, type Stack } from './helpers.js';
import { BIN, connectHttp, initializeRequest, postRpc, signJwt, spawnHttpBin, type SpawnedBridge } from './http-helpers.js';

const run = promisify(execFile);
const INSPECTOR = new URL('../node_modules/.bin/inspector', import.meta.url).pathname;
const SECRET = 'http-bin-test-secret';
const tokens = { service: signJwt(SECRET, { sub: 'svc' }), carol: signJwt(SECRET, { sub: 'carol' }), dave: signJwt(SECRET, { sub: 'dave' }) };

let stack: Stack;
const spawned: SpawnedBridge[] = [];
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(async () => {
  for (const bridge of spawned) if (bridge.child.exitCode === null) bridge.child.kill('SIGKILL');
  // Whatever happened in these tests, no token ever reached the product's stderr.
  for (const bridge of spawned) for (const token of Object.values(tokens)) expect(bridge.stderr()).not.toContain(token);
  await stack?.close();
});

function start(args: string[] = [], env: Record<string, string> = {}): SpawnedBridge {
  const bridge = spawnHttpBin(['--log-level', 'debug', ...args], { MASTRA_BASE_URL: stack.mastra.url, JWT_TOKEN: tokens.service, ...env });
  spawned.push(bridge);
  return bridge;
}

/** The printed URL may name a wildcard address; clients reach it on loopback. */
const loopback = (url: string) => url.replace('0.0.0.0', '127.0.0.1');

describe('the HTTP bin', () => {
  it('prints its URL with the real port, and on SIGTERM lets the call in flight finish, then exits 0', async () => {
    const bridge = start();
    const url = await bridge.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(url).not.toContain(':0/');
    const { client } = await connectHttp(url, tokens.carol);
    const call = client.callTool({ name: 'ask_slow', arguments: { message: 'take your time' } });
    await waitFor('the slow run to start', () => stack.model.requests.some((r) => r.model === 'slow-150' && r.endedAt === undefined));
    bridge.child.kill('SIGTERM');
    const result = await call;
    expect(textOf(result)).toBe('word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 ');
    expect(await bridge.exited).toBe(0);
    expect(bridge.stderr()).toContain('SIGTERM: finishing in-flight calls');
    await client.close().catch(() => {});
  });

  it('on a non-loopback address requires a token per session unless --allow-anonymous', async () => {
    const guarded = start(['--host', '0.0.0.0']);
    const url = loopback(await guarded.url);
    expect((await postRpc(url, initializeRequest)).status).toBe(403);
    const { client } = await connectHttp(url, tokens.dave);
    expect(textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'hi' } }))).toBe('revealed: user=dave tenant=none');
    await client.close();
    guarded.child.kill('SIGTERM');
    expect(await guarded.exited).toBe(0);
    expect(guarded.stderr()).toContain('0.0.0.0 is not a loopback address');

    const open = start(['--host', '0.0.0.0', '--allow-anonymous']);
    const anonymous = await connectHttp(loopback(await open.url));
    expect(textOf(await anonymous.client.callTool({ name: 'ask_whoami', arguments: { message: 'hi' } }))).toBe('revealed: user=svc tenant=none');
    await anonymous.client.close();
    open.child.kill('SIGINT');
    expect(await open.exited).toBe(0);
  });

  it('MCP_REQUIRE_TOKEN refuses token-less sessions on loopback too', async () => {
    const bridge = start([], { MCP_REQUIRE_TOKEN: 'true' });
    const url = await bridge.url;
    expect((await postRpc(url, initializeRequest)).status).toBe(403);
    expect((await postRpc(url, initializeRequest, { authorization: `Bearer ${tokens.carol}` })).status).toBe(200);
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });

  it('says at start-up what needs JWT_TOKEN, and what --per-user-catalogue changes', async () => {
    const shared = start();
    await shared.url;
    expect(shared.stderr()).toContain("tokens: each session's Mastra token is checked with Mastra before anything is served");
    expect(shared.stderr()).toContain('they see the service-level listing (made with JWT_TOKEN); sessions without a token list and call with JWT_TOKEN');
    const own = start([], { MCP_PER_USER_CATALOGUE: 'true' });
    await own.url;
    expect(own.stderr()).toContain('each sees its own listing (--per-user-catalogue)');
    const without = start([], { JWT_TOKEN: '' });
    await without.url;
    expect(without.stderr()).toContain('each sees its own listing (JWT_TOKEN is not set)');
    for (const bridge of [shared, own, without]) bridge.child.kill('SIGTERM');
  });

  it("the MCP Inspector CLI shows the bridge's own reason for a missing or refused token, not an OAuth flow", async () => {
    const bridge = start([], { MCP_REQUIRE_TOKEN: 'true' });
    const url = await bridge.url;
    // No --stored-auth-only, and no TTY: a 401 would send the Inspector into an OAuth flow that cannot start here.
    const inspect = (...headers: string[]) =>
      run(process.execPath, [INSPECTOR, '--cli', url, ...headers, '--format', 'json', '--method', 'tools/list'], {
        env: { ...process.env, MCP_STORAGE_DIR: '/tmp/mastra-agents-mcp-inspector-test' },
      }).then(
        ({ stdout }) => stdout,
        (error: { stdout: string; stderr: string }) => error.stdout + error.stderr,
      );
    const missing = await inspect();
    expect(missing).toContain('this bridge requires each session to bring its own Mastra token');
    expect(missing).not.toContain('OAuth');
    const refused = await inspect('--header', 'Authorization: Bearer not-a-jwt');
    expect(refused).toContain('the Mastra server refused this token (HTTP 401');
    expect(refused).not.toContain('OAuth');
    bridge.child.kill('SIGTERM');
  });

  it('the MCP Inspector CLI lists and calls a tool over HTTP with a bearer token', async () => {
    const bridge = start();
    const url = await bridge.url;
    const inspector = (...args: string[]) =>
      run(process.execPath, [INSPECTOR, '--cli', url, '--header', `Authorization: Bearer ${tokens.carol}`, '--stored-auth-only', '--format', 'json', ...args], {
        env: { ...process.env, MCP_STORAGE_DIR: '/tmp/mastra-agents-mcp-inspector-test' },
      });
    const list = JSON.parse((await inspector('--method', 'tools/list')).stdout) as { result: { tools: { name: string }[] } };
    expect(list.result.tools.map((t) => t.name)).toContain('ask_whoami');
    const call = JSON.parse((await inspector('--method', 'tools/call', '--tool-name', 'ask_whoami', '--tool-arg', 'message=hello')).stdout);
    expect(call.result.content[0].text).toBe('revealed: user=carol tenant=none');
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
  });

  it.each([
    [['--max-body', '0'], '--max-body="0" must be a positive number of bytes'],
    [['--max-sessions-per-identity', '0'], '--max-sessions-per-identity="0" must be a positive number of sessions'],
    [['--session-idle-timeout', 'soon'], '--session-idle-timeout="soon" must be a duration of at least 100ms, such as 500ms, 30s, 2m or 1h'],
  ])('bad HTTP setting %j exits 1 with one clear line', async (args, expected) => {
    const failed = await run(process.execPath, [BIN, '--transport', 'http', ...args], { env: { PATH: process.env.PATH ?? '' } }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect('code' in failed && failed.code).toBe(1);
    expect(failed.stderr.trim().split('\n')).toEqual([expect.stringContaining(expected)]);
  });
});
