import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCatalogue } from '../src/catalogue/agents.js';
import { startHttp, type HttpBridge } from '../src/transports/http.js';
import { clientFor, closedPort, modernClient, startStack, textOf, waitFor, type Stack } from './helpers.js';
import { MemoryOAuthProvider } from './oauth-client.js';
import { PRE_REGISTERED, signInAs, startAuthorizationServer, type AuthorizationServer } from './servers/authorization-server.js';

const SECRET = 'oauth-sign-in-mastra-secret';
const REDIRECT = 'http://127.0.0.1:33418/callback';
/** Short, so that the refresh test needs to wait only this long for an access token to expire. */
const ACCESS_TOKEN_TTL_S = 3;

let stack: Stack;
let authServer: AuthorizationServer;
let bridge: HttpBridge;
let resource: string;

beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  // The resource the client computes from the URL it connects to must be the one the bridge publishes.
  const port = await closedPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  resource = `${publicUrl}/mcp`;
  authServer = await startAuthorizationServer({ resource, scopes: ['mcp:tools'], accessTokenTtlS: ACCESS_TOKEN_TTL_S });
  const client = clientFor(stack.mastra.url);
  bridge = await startHttp({
    catalogue: new AgentCatalogue({ client }),
    client,
    baseUrl: stack.mastra.url,
    port,
    oauth: {
      issuer: authServer.issuer,
      publicUrl,
      audience: resource,
      requiredScopes: ['mcp:tools'],
      mastraAuth: 'mint',
      mintSecret: SECRET,
      mintClaims: ['email'],
      // An expired token is refused at once, so the refresh test need not wait out the skew.
      clockToleranceS: 0,
    },
  });
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await authServer?.close();
  await stack?.close();
});

/** The first connection is refused with the 401 challenge: the client discovers, registers if it must, and hands over the sign-in URL. */
async function signIn(user: string, provider: MemoryOAuthProvider, finishAuth: (callback: URLSearchParams) => Promise<void>, connect: () => Promise<unknown>) {
  // Each SDK generation has its own UnauthorizedError class.
  await expect(connect()).rejects.toThrow(/^Unauthorized/);
  const url = provider.authorizationUrl!;
  expect(url.origin).toBe(authServer.issuer);
  expect(url.searchParams.get('resource')).toBe(resource);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  // The bridge's scopes_supported; the v2 client adds offline_access where the server offers it.
  expect(url.searchParams.get('scope')?.split(' ')).toContain('mcp:tools');
  await finishAuth(await signInAs(user, url));
  const token = decodeJwt(provider.savedTokens!.access_token);
  expect(token).toMatchObject({ iss: authServer.issuer, aud: resource, sub: user });
  expect(provider.savedTokens!.refresh_token).toBeTruthy();
}

/** The SDK v1 client with its own OAuth support, as an application embeds it. */
async function signedInClient(user: string, provider: MemoryOAuthProvider): Promise<Client> {
  const first = new StreamableHTTPClientTransport(new URL(bridge.url), { authProvider: provider });
  await signIn(user, provider, (callback) => first.finishAuth(callback.get('code')!), () => new Client({ name: 'oauth-test', version: '1' }).connect(first));
  const client = new Client({ name: 'oauth-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(bridge.url), { authProvider: provider }));
  return client;
}

const ask = async (client: Pick<Client, 'callTool'>) => textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'who?' } }));

describe('signing in with the SDK client against a real authorization server (oidc-provider)', () => {
  it('registers dynamically, signs in with PKCE and a resource indicator, then lists and calls tools as the user (2025-11-25)', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await signedInClient('alice', provider);
    try {
      expect(provider.registration?.client_id).toBeTruthy();
      expect(provider.registration?.client_id).not.toBe(PRE_REGISTERED.client_id);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('ask_whoami');
      expect(await ask(client)).toContain('user=alice');
    } finally {
      await client.close();
    }
  });

  it('signs in with a pre-registered client', async () => {
    const provider = new MemoryOAuthProvider(PRE_REGISTERED.redirect_uri, { client_id: PRE_REGISTERED.client_id });
    const client = await signedInClient('bob', provider);
    try {
      expect(provider.registration?.client_id).toBe(PRE_REGISTERED.client_id);
      expect(await ask(client)).toContain('user=bob');
    } finally {
      await client.close();
    }
  });

  it('goes on after the access token expires, through the refresh token', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await signedInClient('carol', provider);
    try {
      const first = provider.savedTokens!;
      const { exp } = decodeJwt(first.access_token);
      // Waiting out the token's lifetime is the point of this test (3 s).
      await waitFor('the access token to expire', () => Date.now() / 1000 > exp! + 1, (ACCESS_TOKEN_TTL_S + 5) * 1000);
      const refreshes = authServer.grants.filter((grant) => grant === 'refresh_token').length;
      expect(await ask(client)).toContain('user=carol');
      expect(authServer.grants.filter((grant) => grant === 'refresh_token').length).toBe(refreshes + 1);
      expect(provider.savedTokens!.access_token).not.toBe(first.access_token);
    } finally {
      await client.close();
    }
  });

  it('signs in the same way with the 2026-07-28 client (SDK v2), and calls as the user', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const first = new ModernTransport(new URL(bridge.url), { authProvider: provider as never });
    // The v2 client also checks the callback's iss (RFC 9207), so it gets all of it.
    await signIn('dave', provider, (callback) => first.finishAuth(callback), () => modernClient().connect(first));
    const client: ModernClient = modernClient();
    await client.connect(new ModernTransport(new URL(bridge.url), { authProvider: provider as never }));
    try {
      expect(textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'who?' } }))).toContain('user=dave');
    } finally {
      await client.close();
    }
  });
});
