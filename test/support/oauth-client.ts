import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { expect } from 'vitest';
import type { OAuthSettings } from '../../src/identity/oauth-callers.js';
import type { Logger } from '../../src/log.js';
import { startBridge, type Bridge } from './bridge.js';
import { oauthDefaults } from './defaults.js';
import { textOf } from './mcp-clients.js';
import { signInAs } from './oauth-sign-in-server.js';
import { closedPort } from './waiting.js';

/**
 * What an MCP client application keeps for one server, in memory: its registration, tokens and
 * PKCE verifier. `redirectToAuthorization` only records the URL; the test then plays the browser.
 */
export class MemoryOAuthProvider implements OAuthClientProvider {
  authorizationUrl?: URL;
  savedTokens?: OAuthTokens;
  private information?: OAuthClientInformationMixed;
  private verifier = '';

  /** Without `preRegistered`, the client registers itself (RFC 7591). */
  constructor(
    readonly redirectUrl: string,
    preRegistered?: { client_id: string },
  ) {
    this.information = preRegistered;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'mastra-agents-mcp test client',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  /** The registration this client got from dynamic client registration, or was given. */
  get registration(): OAuthClientInformationMixed | undefined {
    return this.information;
  }

  clientInformation = () => this.information;
  saveClientInformation = (information: OAuthClientInformationMixed) => void (this.information = information);
  tokens = () => this.savedTokens;
  saveTokens = (tokens: OAuthTokens) => void (this.savedTokens = tokens);
  redirectToAuthorization = (url: URL) => void (this.authorizationUrl = url);
  saveCodeVerifier = (verifier: string) => void (this.verifier = verifier);
  codeVerifier = () => this.verifier;
}

export interface SignInBridge extends Bridge {
  /** `<public URL>/mcp`: what the client computes from the URL it connects to, and the tokens' audience. */
  resource: string;
}

/** The bridge in this process as an OAuth protected resource whose public URL is its own loopback URL (no JWT_TOKEN: Mastra sees minted JWTs). */
export async function startSignInBridge(
  mastraUrl: string,
  settings: (issuer: string) => Pick<OAuthSettings, 'mintSecret'> & Partial<OAuthSettings>,
  startAuthServer: (resource: string) => Promise<{ issuer: string }>,
  logger?: Logger,
): Promise<SignInBridge> {
  const port = await closedPort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const resource = `${publicUrl}/mcp`;
  const { issuer } = await startAuthServer(resource);
  const oauth: OAuthSettings = {
    ...oauthDefaults,
    issuer,
    publicUrl,
    audience: resource,
    requiredScopes: ['mcp:tools'],
    mastraAuth: 'mint',
    mintClaims: ['email'],
    // An expired token is refused at once, so refresh tests need not wait out the skew.
    clockToleranceS: 0,
    ...settings(issuer),
  };
  const bridge = await startBridge({ mastraUrl, transport: 'http', client: 'none', settings: { port, oauth, ...(logger ? { logger } : {}) } });
  return { ...bridge, resource };
}

/** The first connection is refused with the 401 challenge: the client discovers, registers if it must, and hands over the sign-in URL. */
export async function signIn(
  user: string,
  at: { issuer: string; resource: string },
  provider: MemoryOAuthProvider,
  finishAuth: (callback: URLSearchParams) => Promise<void>,
  connect: () => Promise<unknown>,
): Promise<void> {
  // Each SDK generation has its own UnauthorizedError class.
  await expect(connect()).rejects.toThrow(/^Unauthorized/);
  const url = provider.authorizationUrl!;
  expect(url.origin).toBe(at.issuer);
  expect(url.searchParams.get('resource')).toBe(at.resource);
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  // The bridge's scopes_supported; the v2 client adds offline_access where the server offers it.
  expect(url.searchParams.get('scope')?.split(' ')).toContain('mcp:tools');
  await finishAuth(await signInAs(user, url));
  expect(provider.savedTokens!.refresh_token).toBeTruthy();
}

/** The SDK v1 client with its own OAuth support, as an application embeds it, signed in as `user`. */
export async function signedInClient(user: string, at: { issuer: string; bridge: SignInBridge }, provider: MemoryOAuthProvider): Promise<Client> {
  const url = new URL(at.bridge.url);
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await signIn(
    user,
    { issuer: at.issuer, resource: at.bridge.resource },
    provider,
    (callback) => first.finishAuth(callback.get('code')!),
    () => new Client({ name: 'oauth-test', version: '1' }).connect(first),
  );
  const client = new Client({ name: 'oauth-test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  return client;
}

export const askWhoami = async (client: { callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown> }) =>
  textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'who?' } }));
