import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntrospectionSettings } from '../src/identity/oauth-introspection.js';
import { createLogger } from '../src/log.js';
import { main } from '../src/main.js';
import { closedPort, startStack, waitFor, type Stack } from './helpers.js';
import { initializeRequest, postRpc } from './http-helpers.js';
import { askWhoami, MemoryOAuthProvider, signedInClient, signIn, startSignInBridge, type SignInBridge } from './oauth-client.js';
import { INTROSPECTOR, PRE_REGISTERED, startAuthorizationServer, type AuthorizationServer } from './servers/authorization-server.js';

const SECRET = 'oauth-introspection-mastra-secret';
const REDIRECT = 'http://127.0.0.1:33418/callback';
const ACCESS_TOKEN_TTL_S = 3;

const logLines: string[] = [];
/** Every access token a test saw, to look for in the log lines at the end. */
const tokens: string[] = [];
let stack: Stack;
let authServer: AuthorizationServer;
let bridge: SignInBridge;

const introspection = (issuer: string, clientSecret = INTROSPECTOR.client_secret): IntrospectionSettings => ({
  url: `${issuer}/token/introspection`,
  clientId: INTROSPECTOR.client_id,
  clientSecret,
});
const introspections = () => authServer.paths.filter((path) => path === '/token/introspection').length;
const refreshes = () => authServer.grants.filter((grant) => grant === 'refresh_token').length;
const INSPECTOR_SECRET = INTROSPECTOR.client_secret;
const logger = createLogger('debug', (line) => logLines.push(line));

beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startSignInBridge(
    stack.mastra.url,
    (issuer) => ({ mintSecret: SECRET, introspection: introspection(issuer) }),
    async (resource) => {
      // Dynamically registered clients get opaque tokens, which only the authorization server can read.
      authServer = await startAuthorizationServer({ resource, scopes: ['mcp:tools'], accessTokenTtlS: ACCESS_TOKEN_TTL_S, accessTokenFormat: 'opaque' });
      return authServer;
    },
    logger,
  );
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await authServer?.close();
  await stack?.close();
});

/** An access token from a finished sign-in that the bridge has not seen yet, and the client it was issued to. */
async function freshToken(
  user: string,
  at: { bridge: SignInBridge; server: AuthorizationServer } = { bridge, server: authServer },
): Promise<{ token: string; clientId: string }> {
  const provider = new MemoryOAuthProvider(REDIRECT);
  const transport = new StreamableHTTPClientTransport(new URL(at.bridge.url), { authProvider: provider });
  await signIn(
    user,
    { issuer: at.server.issuer, resource: at.bridge.resource },
    provider,
    (callback) => transport.finishAuth(callback.get('code')!),
    () => new Client({ name: 't', version: '1' }).connect(transport),
  );
  tokens.push(provider.savedTokens!.access_token);
  return { token: provider.savedTokens!.access_token, clientId: provider.registration!.client_id };
}

describe('RFC 7662 introspection of opaque access tokens (oidc-provider)', () => {
  it('signs a user in with opaque tokens and calls as them, asking the authorization server once per token', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await signedInClient('erin', { issuer: authServer.issuer, bridge }, provider);
    try {
      tokens.push(provider.savedTokens!.access_token);
      expect(() => decodeJwt(provider.savedTokens!.access_token)).toThrow();
      const asked = introspections();
      const refreshed = refreshes();
      expect(asked).toBeGreaterThan(0);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('ask_whoami');
      expect(await askWhoami(client)).toContain('user=erin');
      expect(await askWhoami(client)).toContain('user=erin');
      // Kept per token hash: the same token is not introspected again (a token refreshed meanwhile, on a slow machine, is a new one).
      expect(introspections()).toBe(asked + refreshes() - refreshed);
    } finally {
      await client.close();
    }
  });

  it("does not keep an answer past the token's exp: after it, the client is refused and goes on through its refresh token", async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await signedInClient('frank', { issuer: authServer.issuer, bridge }, provider);
    try {
      const first = provider.savedTokens!.access_token;
      const expires = Date.now() + (provider.savedTokens!.expires_in ?? ACCESS_TOKEN_TTL_S) * 1000;
      // Waiting out the token's lifetime is the point of this test (3 s).
      await waitFor('the access token to expire', () => Date.now() > expires + 1000, (ACCESS_TOKEN_TTL_S + 5) * 1000);
      const before = refreshes();
      expect(await askWhoami(client)).toContain('user=frank');
      expect(refreshes()).toBe(before + 1);
      expect(provider.savedTokens!.access_token).not.toBe(first);
    } finally {
      await client.close();
    }
  });

  it('refuses a revoked token with the 401 challenge, nothing listed and nothing run', async () => {
    const { token, clientId } = await freshToken('grace');
    await authServer.revoke(token, clientId);
    const before = stack.mastra.requests.length;
    const response = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(await response.text()).toContain('not active');
    expect(stack.mastra.requests.slice(before)).toEqual([]);
  });

  it('still verifies JWT access tokens itself, without asking the authorization server', async () => {
    const provider = new MemoryOAuthProvider(PRE_REGISTERED.redirect_uri, { client_id: PRE_REGISTERED.client_id });
    const client = await signedInClient('heidi', { issuer: authServer.issuer, bridge }, provider);
    try {
      expect(decodeJwt(provider.savedTokens!.access_token).sub).toBe('heidi');
      const asked = introspections();
      expect(await askWhoami(client)).toContain('user=heidi');
      expect(introspections()).toBe(asked);
    } finally {
      await client.close();
    }
  });

  it("answers 502 naming the fix when the authorization server refuses the bridge's client credentials; the secret is never printed", async () => {
    const wrong = await startSignInBridge(
      stack.mastra.url,
      (issuer) => ({ mintSecret: SECRET, introspection: introspection(issuer, 'not-the-secret') }),
      async () => authServer,
      logger,
    );
    try {
      const response = await postRpc(wrong.url, initializeRequest, { authorization: `Bearer ${(await freshToken('ivan')).token}` });
      expect(response.status).toBe(502);
      expect(await response.text()).toContain('client credentials');
      expect(logLines.some((line) => line.includes('MCP_OAUTH_CLIENT_SECRET'))).toBe(true);
      for (const line of logLines) expect(line).not.toContain('not-the-secret');
    } finally {
      await wrong.close({ graceMs: 0 });
    }
  });

  it('answers 503 while the introspection endpoint cannot be reached, and keeps serving', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/introspect`;
    const down = await startSignInBridge(
      stack.mastra.url,
      (issuer) => ({ mintSecret: SECRET, introspection: { ...introspection(issuer), url } }),
      async () => authServer,
      logger,
    );
    try {
      const response = await postRpc(down.url, initializeRequest, { authorization: 'Bearer an-opaque-token' });
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/cannot reach the authorization server .*introspect/);
      expect((await fetch(new URL('/healthz', down.url))).status).toBe(200);
    } finally {
      await down.close({ graceMs: 0 });
    }
  });

  it('is configured from the environment alone: MCP_OAUTH_INTROSPECTION_URL, MCP_OAUTH_CLIENT_ID and MCP_OAUTH_CLIENT_SECRET', async () => {
    let stderr = '';
    const env = {
      MASTRA_BASE_URL: stack.mastra.url,
      MASTRA_JWT_SECRET: SECRET,
      MCP_OAUTH_ISSUER: authServer.issuer,
      MCP_PUBLIC_URL: 'http://localhost:3999',
      // The tokens were issued for the test bridge's resource.
      MCP_OAUTH_AUDIENCE: bridge.resource,
      MCP_OAUTH_INTROSPECTION_URL: introspection(authServer.issuer).url,
      MCP_OAUTH_CLIENT_ID: INTROSPECTOR.client_id,
      MCP_OAUTH_CLIENT_SECRET: INTROSPECTOR.client_secret,
      LOG_LEVEL: 'debug',
    };
    const exit = main(['--transport', 'http', '--port', '0', '--shutdown-grace', '100ms', '--refresh-interval', '0'], env, {
      stdout: { write: () => {} },
      stderr: { write: (text: string) => (stderr += text) },
    });
    try {
      const url = (await waitFor('the listening line', () => /listening on (\S+)/.exec(stderr)?.[1]))!;
      const asked = introspections();
      const { token } = await freshToken('judy');
      const response = await postRpc(url, initializeRequest, { authorization: `Bearer ${token}` });
      expect(response.status).toBe(200);
      expect(introspections()).toBeGreaterThan(asked);
      expect(stderr).not.toContain(INSPECTOR_SECRET);
      expect(stderr).not.toContain(token);
    } finally {
      process.emit('SIGTERM');
      expect(await exit).toBe(0);
    }
  });

  it('introspects at most 20 garbage tokens from one address, then answers 429 with Retry-After; a token introspected before keeps working', async () => {
    // Its own bridge, since the flood spends the budget of loopback, and its own server, whose tokens outlive the test on a slow machine.
    let server: AuthorizationServer | undefined;
    const limited = await startSignInBridge(
      stack.mastra.url,
      (issuer) => ({ mintSecret: SECRET, introspection: introspection(issuer) }),
      async (resource) => {
        server = await startAuthorizationServer({ resource, scopes: ['mcp:tools'], accessTokenFormat: 'opaque' });
        return server;
      },
      logger,
    );
    const introspections = () => server!.paths.filter((path) => path === '/token/introspection').length;
    try {
      const at = { bridge: limited, server: server! };
      const { token } = await freshToken('kim', at);
      const call = (with_: string) => postRpc(limited.url, initializeRequest, { authorization: `Bearer ${with_}` });
      const first = await call(token);
      expect(first.status).toBe(200);
      await first.body?.cancel();
      const asked = introspections();
      const flood = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const response = await call(`garbage-opaque-token-${i}`);
          await response.body?.cancel();
          return { status: response.status, retryAfter: Number(response.headers.get('retry-after')) };
        }),
      );
      expect(introspections() - asked).toBeLessThanOrEqual(20);
      expect(flood.filter(({ status }) => status === 401).length).toBeLessThanOrEqual(20);
      const refused = flood.filter(({ status }) => status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(80);
      for (const { retryAfter } of refused) expect(retryAfter).toBeGreaterThanOrEqual(1);
      const again = await call(token);
      expect(again.status).toBe(200);
      await again.body?.cancel();
      expect((await call((await freshToken('lee', at)).token)).status).toBe(429);
      expect(introspections() - asked).toBeLessThanOrEqual(20);
    } finally {
      await limited.close({ graceMs: 0 });
      await server?.close();
    }
  });

  it('prints no access token in any log line', () => {
    expect(logLines.some((line) => line.includes('access token refused'))).toBe(true);
    for (const line of logLines) for (const token of tokens) expect(line).not.toContain(token);
  });
});
