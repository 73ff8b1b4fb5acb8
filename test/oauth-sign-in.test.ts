import { StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modernClient, startStack, waitFor, type Stack } from './helpers.js';
import { askWhoami, MemoryOAuthProvider, signedInClient, signIn, startSignInBridge, type SignInBridge } from './oauth-client.js';
import { PRE_REGISTERED, startAuthorizationServer, type AuthorizationServer } from './servers/authorization-server.js';

const SECRET = 'oauth-sign-in-mastra-secret';
const REDIRECT = 'http://127.0.0.1:33418/callback';
/** Short, so that the refresh test needs to wait only this long for an access token to expire. */
const ACCESS_TOKEN_TTL_S = 3;

let stack: Stack;
let authServer: AuthorizationServer;
let bridge: SignInBridge;

beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startSignInBridge(
    stack.mastra.url,
    () => ({ mintSecret: SECRET }),
    async (resource) => {
      authServer = await startAuthorizationServer({ resource, scopes: ['mcp:tools'], accessTokenTtlS: ACCESS_TOKEN_TTL_S });
      return authServer;
    },
  );
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await authServer?.close();
  await stack?.close();
});

const refreshes = () => authServer.grants.filter((grant) => grant === 'refresh_token').length;

describe('signing in with the SDK client against a real authorization server (oidc-provider)', () => {
  it('registers dynamically, signs in with PKCE and a resource indicator, then lists and calls tools as the user (2025-11-25)', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await signedInClient('alice', { issuer: authServer.issuer, bridge }, provider);
    try {
      expect(decodeJwt(provider.savedTokens!.access_token)).toMatchObject({ iss: authServer.issuer, aud: bridge.resource, sub: 'alice' });
      expect(provider.registration?.client_id).toBeTruthy();
      expect(provider.registration?.client_id).not.toBe(PRE_REGISTERED.client_id);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('ask_whoami');
      expect(await askWhoami(client)).toContain('user=alice');
    } finally {
      await client.close();
    }
  });

  it('signs in with a pre-registered client', async () => {
    const provider = new MemoryOAuthProvider(PRE_REGISTERED.redirect_uri, { client_id: PRE_REGISTERED.client_id });
    const client = await signedInClient('bob', { issuer: authServer.issuer, bridge }, provider);
    try {
      expect(provider.registration?.client_id).toBe(PRE_REGISTERED.client_id);
      expect(await askWhoami(client)).toContain('user=bob');
    } finally {
      await client.close();
    }
  });

  it('goes on after the access token expires, through the refresh token', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const client = await signedInClient('carol', { issuer: authServer.issuer, bridge }, provider);
    try {
      const first = provider.savedTokens!;
      const { exp } = decodeJwt(first.access_token);
      // Waiting out the token's lifetime is the point of this test (3 s).
      await waitFor('the access token to expire', () => Date.now() / 1000 > exp! + 1, (ACCESS_TOKEN_TTL_S + 5) * 1000);
      const before = refreshes();
      expect(await askWhoami(client)).toContain('user=carol');
      expect(refreshes()).toBe(before + 1);
      expect(provider.savedTokens!.access_token).not.toBe(first.access_token);
    } finally {
      await client.close();
    }
  });

  it('signs in the same way with the 2026-07-28 client (SDK v2), calls as the user, and refreshes after expiry', async () => {
    const provider = new MemoryOAuthProvider(REDIRECT);
    const first = new ModernTransport(new URL(bridge.url), { authProvider: provider as never });
    // The v2 client also checks the callback's iss (RFC 9207), so it gets all of it.
    await signIn(
      'dave',
      { issuer: authServer.issuer, resource: bridge.resource },
      provider,
      (callback) => first.finishAuth(callback),
      () => modernClient().connect(first),
    );
    const client = modernClient();
    await client.connect(new ModernTransport(new URL(bridge.url), { authProvider: provider as never }));
    try {
      expect(await askWhoami(client)).toContain('user=dave');
      const { exp } = decodeJwt(provider.savedTokens!.access_token);
      await waitFor('the access token to expire', () => Date.now() / 1000 > exp! + 1, (ACCESS_TOKEN_TTL_S + 5) * 1000);
      const before = refreshes();
      expect(await askWhoami(client)).toContain('user=dave');
      expect(refreshes()).toBe(before + 1);
    } finally {
      await client.close();
    }
  });
});
