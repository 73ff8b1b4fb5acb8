import { exportJWK, generateKeyPair } from 'jose';
import { createServer } from 'node:http';
import Provider, { errors } from 'oidc-provider';

/** A client registered in advance, as an operator would in the provider's console. */
export const PRE_REGISTERED = { client_id: 'pre-registered-mcp-client', redirect_uri: 'http://127.0.0.1:33418/callback' };
/** A confidential client the bridge itself uses to introspect tokens (RFC 7662). */
export const INTROSPECTOR = { client_id: 'mcp-bridge', client_secret: 'introspection-test-secret' };

export interface AuthorizationServerOptions {
  /** The one resource (RFC 8707) this server issues access tokens for. */
  resource: string;
  /** The scopes of that resource. */
  scopes: string[];
  /** Lifetime of an access token, in seconds. */
  accessTokenTtlS?: number;
  /** `jwt` (RFC 9068) or `opaque` access tokens, which only introspection can read. The pre-registered client always gets JWTs. */
  accessTokenFormat?: 'jwt' | 'opaque';
}

export interface AuthorizationServer {
  issuer: string;
  /** Requests to the token endpoint, by grant type, in order: to prove a refresh happened. */
  grants: string[];
  /** The path of every request, in order: to count introspections. */
  paths: string[];
  /** Revokes a token (RFC 7009) as the client it was issued to. */
  revoke(token: string, clientId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * oidc-provider (OpenID Certified) on a free loopback port: discovery, JWKS, dynamic client
 * registration, authorization code with PKCE, resource indicators, refresh tokens and
 * introspection. Its development login and consent pages stand in for the user's browser.
 */
export async function startAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'signing', alg: 'RS256', use: 'sig' }] },
    clients: [
      {
        client_id: PRE_REGISTERED.client_id,
        token_endpoint_auth_method: 'none',
        redirect_uris: [PRE_REGISTERED.redirect_uri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      { ...INTROSPECTOR, grant_types: [], response_types: [], redirect_uris: [] },
    ],
    scopes: ['openid', 'offline_access', ...options.scopes],
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email: `${sub}@example.test` }) }),
    extraTokenClaims: (_ctx, token) => ('accountId' in token && token.accountId ? { email: `${token.accountId}@example.test` } : undefined),
    // Keycloak's habit: a client allowed the refresh_token grant gets one, without asking for offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { AccessToken: options.accessTokenTtlS ?? 3600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
    features: {
      registration: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) => {
          if (indicator !== options.resource) throw new errors.InvalidTarget(`unknown resource ${indicator}`);
          const format = client.clientId === PRE_REGISTERED.client_id ? 'jwt' : (options.accessTokenFormat ?? 'jwt');
          return {
            scope: options.scopes.join(' '),
            audience: indicator,
            accessTokenTTL: options.accessTokenTtlS ?? 3600,
            accessTokenFormat: format,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  const grants: string[] = [];
  const paths: string[] = [];
  provider.on('grant.success', (ctx) => grants.push(String(ctx.oidc.params?.grant_type)));
  server.on('request', (req) => paths.push(new URL(req.url!, issuer).pathname));
  server.on('request', provider.callback());
  return {
    issuer,
    grants,
    paths,
    revoke: async (token, clientId) => {
      const response = await fetch(`${issuer}/token/revocation`, { method: 'POST', body: new URLSearchParams({ token, client_id: clientId }) });
      if (!response.ok) throw new Error(`revocation failed: HTTP ${response.status}`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Plays the user's browser from the authorization URL the MCP client hands over: signs in as
 * `user` on the provider's login page, grants its consent page, and returns the parameters the
 * provider sends to the redirect URI (which nobody needs to serve): `code`, and `iss` (RFC 9207).
 */
export async function signInAs(user: string, authorizationUrl: URL): Promise<URLSearchParams> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl.href;
  for (let hop = 0; hop < 20; hop++) {
    const response = await visit(url, cookies);
    const location = response.headers.get('location');
    if (location) {
      const next = new URL(location, url);
      if (next.searchParams.has('code')) return next.searchParams;
      if (next.searchParams.get('error'))
        throw new Error(`the authorization server refused: ${next.searchParams.get('error')} ${next.searchParams.get('error_description')}`);
      url = next.href;
      continue;
    }
    const page = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (!action || !prompt) throw new Error(`no sign-in form at ${url} (HTTP ${response.status})`);
    const form = new URLSearchParams(prompt === 'login' ? { prompt, login: user, password: 'any' } : { prompt });
    const submitted = await visit(new URL(action, url).href, cookies, form);
    url = new URL(submitted.headers.get('location')!, url).href;
  }
  throw new Error('the sign-in did not reach the redirect URI');
}

async function visit(url: string, cookies: Map<string, string>, form?: URLSearchParams): Promise<Response> {
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: form,
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair!.indexOf('=');
    cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
  }
  return response;
}
