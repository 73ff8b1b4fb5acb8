import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, startStack, waitFor, type Stack } from './helpers.js';
import { signJwt, startHttpBridge } from './http-helpers.js';
import { startSignInBridge, type SignInBridge } from './oauth-client.js';
import { signInAs, startAuthorizationServer, type AuthorizationServer } from './servers/authorization-server.js';

const run = promisify(execFile);
const INSPECTOR = new URL('../node_modules/.bin/inspector', import.meta.url).pathname;
const SECRET = 'oauth-inspector-mastra-secret';

let stack: Stack;
let home: string;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  // The Inspector keeps catalogues and OAuth state under HOME: a fresh one per run.
  home = await mkdtemp(join(tmpdir(), 'inspector-home-'));
});
afterAll(async () => {
  await stack?.close();
  await rm(home, { recursive: true, force: true });
});

/** The MCP Inspector CLI (a real, independent MCP client) over Streamable HTTP, without a TTY, as in CI. */
const inspectorArgs = (url: string, args: string[]) => ['--cli', url, '--transport', 'http', ...args, '--format', 'json'];
const inspectorEnv = (extra: Record<string, string> = {}) => ({ ...process.env, HOME: home, MCP_INSPECTOR_SECRET_STORE: 'memory', ...extra });

async function inspect(url: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(INSPECTOR, inspectorArgs(url, args), { env: inspectorEnv(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return error as { code: number; stdout: string; stderr: string };
  }
}

const callWhoami = ['--method', 'tools/call', '--tool-name', 'ask_whoami', '--tool-arg', 'message=who?'];

describe('the MCP Inspector CLI over HTTP, in Mastra-token mode', () => {
  it("shows the bridge's reason for a refused Mastra token, and starts no OAuth discovery", async () => {
    const bridge = await startHttpBridge(stack.mastra.url, { serviceToken: signJwt(SECRET, { sub: 'service' }) });
    try {
      const refused = await inspect(bridge.url, '--header', `Authorization: Bearer ${signJwt('another-secret', { sub: 'mallory' })}`, ...callWhoami);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('the Mastra server refused this token (HTTP 401: Invalid or expired token)');
      expect(refused.stderr).not.toContain('OAuth');
      const accepted = await inspect(bridge.url, '--header', `Authorization: Bearer ${signJwt(SECRET, { sub: 'erin' })}`, ...callWhoami);
      expect(JSON.parse(accepted.stdout).result.content[0].text).toContain('user=erin');
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });

  it("shows the bridge's reason when a token is required and none is sent", async () => {
    const bridge = await startHttpBridge(stack.mastra.url, { serviceToken: signJwt(SECRET, { sub: 'service' }), requireToken: true });
    try {
      const answer = await inspect(bridge.url, '--method', 'tools/list');
      expect(answer.code).not.toBe(0);
      expect(answer.stderr).toContain('this bridge requires each session to bring its own Mastra token');
      expect(answer.stderr).not.toContain('OAuth');
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });
});

describe('the MCP Inspector CLI over HTTP, in OAuth mode (oidc-provider)', () => {
  let authServer: AuthorizationServer;
  let bridge: SignInBridge;
  beforeAll(async () => {
    bridge = await startSignInBridge(
      stack.mastra.url,
      () => ({ mintSecret: SECRET }),
      async (resource) => {
        authServer = await startAuthorizationServer({ resource, scopes: ['mcp:tools'] });
        return authServer;
      },
    );
  });
  afterAll(async () => {
    await bridge?.close({ graceMs: 0 });
    await authServer?.close();
  });

  it('without a TTY and without a token, stops at the sign-in it cannot show (auth_required)', async () => {
    const answer = await inspect(bridge.url, '--method', 'tools/list');
    expect(answer.code).toBe(3);
    expect(answer.stderr).toContain('Interactive OAuth requires a TTY');
  });

  it('signs in through its own OAuth flow (registration, PKCE, resource) when the sign-in page is completed, then calls as the user', async () => {
    const callback = `http://127.0.0.1:${await closedPort()}/oauth/callback`;
    // MCP_AUTO_OPEN_ENABLED=true lets it sign in without a TTY: it prints the URL, and this test is the browser.
    const child = spawn(INSPECTOR, inspectorArgs(bridge.url, ['--callback-url', callback, ...callWhoami]), {
      env: inspectorEnv({ MCP_AUTO_OPEN_ENABLED: 'true' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const url = new URL(await waitFor('the sign-in URL', () => /navigate to: (\S+)/.exec(stderr)?.[1], 30_000));
      expect(url.searchParams.get('resource')).toBe(bridge.resource);
      const answer = await fetch(`${callback}?${await signInAs('yvonne', url)}`);
      expect(answer.status).toBe(200);
      expect(await exited).toBe(0);
      expect(JSON.parse(stdout).result.content[0].text).toContain('user=yvonne');
    } finally {
      child.kill();
    }
  });
});
