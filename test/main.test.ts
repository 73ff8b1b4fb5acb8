import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpText } from '../src/help.js';
import { main } from '../src/main.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';
import { connectClient, textOf } from './support/mcp-clients.js';
import { startTokenIssuer } from './support/oauth-token-issuer.js';
import { closedPort, waitFor } from './support/waiting.js';

/** main() in this process, with everything it writes kept. */
async function runMain(argv: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const exit = main(argv, env, { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } });
  return { exit, stdout: () => stdout, stderr: () => stderr };
}

describe('main(argv, env) in-process', () => {
  it('prints the help and the version on stdout and returns 0', async () => {
    const help = await runMain(['--help'], {});
    expect(await help.exit).toBe(0);
    expect(help.stdout()).toBe(helpText());
    expect(help.stderr()).toBe('');
    const version = await runMain(['-v'], {});
    expect(await version.exit).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each([
    [
      { MASTRA_BASE_URL: 'http://localhost:4111/?tenant=a' },
      [],
      'MASTRA_BASE_URL="http://localhost:4111/?tenant=a" must not contain a query string or fragment',
    ],
    [{ MASTRA_BASE_URL: 'http://localhost:4111#top' }, [], 'MASTRA_BASE_URL="http://localhost:4111#top" must not contain a query string or fragment'],
    [{ MASTRA_BASE_URL: 'http://me:s3cret@x' }, [], 'MASTRA_BASE_URL="http://***@x" must not contain a user or password'],
    [{ MCP_CALL_TIMEOUT: '60' }, [], 'MCP_CALL_TIMEOUT="60" has no unit'],
    [{}, ['--refresh-interval', '60'], '--refresh-interval="60" has no unit: write 60s (60ms would be under 100ms)'],
    [{}, ['--bogus'], "Unknown option '--bogus'"],
    [{}, ['--oauth-issuer', 'http://login.example.com/'], '--oauth-issuer="http://login.example.com/" must be an https:// URL (http:// only on loopback)'],
    [
      { MCP_OAUTH_ISSUER: 'https://login.example.com/', MCP_PUBLIC_URL: 'http://mcp.example.com' },
      [],
      'MCP_PUBLIC_URL="http://mcp.example.com" must be an https:// URL (http:// only on loopback)',
    ],
    [{}, ['--oauth-issuer', 'https://login.example.com/'], '--oauth-issuer needs --public-url (MCP_PUBLIC_URL)'],
    [{}, ['--oauth-issuer', 'http://127.0.0.1:9/', '--public-url', 'http://localhost:3000'], '--mastra-auth mint needs MASTRA_JWT_SECRET'],
    [{ MCP_MASTRA_AUTH: 'both' }, [], 'MCP_MASTRA_AUTH="both" must be mint or passthrough'],
    [
      {},
      ['--oauth-introspection-url', 'http://login.example.com/introspect'],
      '--oauth-introspection-url="http://login.example.com/introspect" must be an https:// URL (http:// only on loopback)',
    ],
    [
      { MCP_OAUTH_CLIENT_ID: 'bridge', MCP_OAUTH_CLIENT_SECRET: 's3cret' },
      ['--oauth-introspection-url', 'https://login.example.com/introspect'],
      '--oauth-introspection-url needs --oauth-issuer',
    ],
    [
      { MASTRA_JWT_SECRET: 'x', MCP_OAUTH_CLIENT_ID: 'bridge' },
      ['--oauth-issuer', 'http://127.0.0.1:9/', '--public-url', 'http://localhost:3000', '--oauth-introspection-url', 'http://127.0.0.1:9/introspect'],
      '--oauth-introspection-url needs MCP_OAUTH_CLIENT_ID and MCP_OAUTH_CLIENT_SECRET',
    ],
    [{ MCP_REQUEST_STATE_SECRET: 's3cret' }, [], 'MCP_REQUEST_STATE_SECRET must be at least 32 characters (it has 6)'],
  ])('bad configuration %j %j returns 1 with one line on stderr', async (env, argv, expected) => {
    const run = await runMain(argv, env);
    expect(await run.exit).toBe(1);
    expect(run.stdout()).toBe('');
    expect(run.stderr().split('\n')).toEqual([expect.stringMatching(/^mastra-agents-mcp: /), '']);
    expect(run.stderr()).toContain(expected);
    expect(run.stderr()).not.toContain('s3cret');
  });
});

describe('main serving from the env it is given', () => {
  const SECRET = 'main-test-secret';
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ jwtSecret: SECRET });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('lists and calls with its env MASTRA_BASE_URL (as `mastra dev` prints it, with /api) and JWT_TOKEN, whatever process.env says', async () => {
    const previous = { url: process.env.MASTRA_BASE_URL, token: process.env.JWT_TOKEN };
    process.env.MASTRA_BASE_URL = `http://127.0.0.1:${await closedPort()}`;
    delete process.env.JWT_TOKEN;
    const env = { MASTRA_BASE_URL: `${stack.mastra.url}/api/`, JWT_TOKEN: signJwt(SECRET, { sub: 'svc' }), LOG_LEVEL: 'info' };
    const run = await runMain(['--transport', 'http', '--port', '0', '--shutdown-grace', '100ms'], env);
    try {
      const url = (await waitFor('the listening line', () => /listening on (\S+)/.exec(run.stderr())?.[1]))!;
      expect(run.stderr()).toContain(`serving 10 agents from ${stack.mastra.url}`);
      const call = async (token?: string) => {
        const { client, close } = await connectClient({ url }, { token });
        const result = await client.callTool({ name: 'ask_whoami', arguments: { message: 'who' } });
        await close();
        return textOf(result);
      };
      expect(await call()).toBe('revealed: user=svc tenant=none');
      expect(await call(signJwt(SECRET, { sub: 'carol' }))).toBe('revealed: user=carol tenant=none');
    } finally {
      process.emit('SIGTERM');
      expect(await run.exit).toBe(0);
      process.env.MASTRA_BASE_URL = previous.url;
      if (previous.url === undefined) delete process.env.MASTRA_BASE_URL;
      if (previous.token !== undefined) process.env.JWT_TOKEN = previous.token;
    }
  });

  it('serves OAuth users from MCP_OAUTH_ISSUER, MCP_PUBLIC_URL and MASTRA_JWT_SECRET alone: audience <public URL>/mcp, a minted JWT to Mastra', async () => {
    const auth = await startTokenIssuer();
    const env = {
      MASTRA_BASE_URL: stack.mastra.url,
      MCP_OAUTH_ISSUER: auth.url,
      MCP_PUBLIC_URL: 'http://localhost:3999/',
      MASTRA_JWT_SECRET: SECRET,
      LOG_LEVEL: 'error',
    };
    const run = await runMain(['--transport', 'http', '--port', '0', '--shutdown-grace', '100ms', '--refresh-interval', '0'], env);
    try {
      const url = (await waitFor('the listening line', () => /listening on (\S+)/.exec(run.stderr())?.[1]))!;
      const metadata = await (await fetch(new URL('/.well-known/oauth-protected-resource', url))).json();
      expect(metadata).toMatchObject({ resource: 'http://localhost:3999/mcp', authorization_servers: [auth.url] });
      const token = await auth.token({ sub: 'erin', aud: 'http://localhost:3999/mcp' });
      const { client, close } = await connectClient({ url }, { token });
      expect(textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'who' } }))).toBe('revealed: user=erin tenant=none');
      await close();
    } finally {
      process.emit('SIGTERM');
      expect(await run.exit).toBe(0);
      await auth.close();
    }
  });
});
