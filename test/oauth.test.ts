import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuthSettings } from '../src/identity/oauth-callers.js';
import { createLogger } from '../src/log.js';
import type { MastraFixture } from './fixture/mastra-app.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { clientFor, signJwt, startStack, type Stack } from './support/mastra.js';
import { MODERN_VERSION, textOf } from './support/mcp-clients.js';
import { startIssuerWithMetadata, startTokenIssuer, type IssuerWithMetadata, type TokenIssuer } from './support/oauth-token-issuer.js';
import { postRpc } from './support/raw-http.js';
import { closedPort } from './support/waiting.js';
import { catalogueOf, httpDefaults, oauthDefaults } from './support/defaults.js';

const SECRET = 'oauth-test-mastra-secret';
const PUBLIC_URL = 'https://mcp.example.test';
const AUDIENCE = `${PUBLIC_URL}/mcp`;
const METADATA_URL = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`;

const logLines: string[] = [];
const answers: string[] = [];
let stack: Stack;
/** A Mastra server that only refused requests are sent to: whatever it hears was let through. */
let quiet: MastraFixture;
let auth: TokenIssuer;
let bridge: Bridge;

const settings = (issuer: string): OAuthSettings => ({
  ...oauthDefaults,
  issuer,
  publicUrl: PUBLIC_URL,
  audience: AUDIENCE,
  requiredScopes: ['mcp:tools'],
  mastraAuth: 'mint',
  mintSecret: SECRET,
  mintClaims: ['email', 'name', 'roles'],
  // Rotation is tested at once, not after jose's 30 s cooldown between JWKS fetches.
  jwksCooldownMs: 0,
});

/** The bridge with no JWT_TOKEN: every listing and call goes to Mastra with a JWT the bridge mints (or the user's token). */
async function startOAuthBridge(
  issuer: string,
  mastraAuth: OAuthSettings['mastraAuth'] = 'mint',
  more: Partial<OAuthSettings> = {},
  limited = false,
  mastraUrl = stack.mastra.url,
): Promise<Bridge> {
  return startBridge({
    mastraUrl,
    transport: 'http',
    client: 'none',
    settings: {
      // Not listed at start: without JWT_TOKEN, each caller's listing is made with its own credential.
      catalogue: catalogueOf(clientFor(mastraUrl)),
      // This file sends more refused tokens from loopback than the limit of failed checks per address allows; its own test of the limit uses the default.
      ...(limited ? {} : { failedTokenChecks: { ...httpDefaults().failedTokenChecks, burst: 1000 } }),
      oauth: { ...settings(issuer), mastraAuth, ...more },
      logger: createLogger('debug', (line) => logLines.push(line)),
    },
  });
}

/** An access token from the real authorization server, with these claims over its defaults. */
const accessToken = (claims: Record<string, unknown> = {}, options: { kid?: string; expiresIn?: number } = {}) =>
  auth.token({ sub: 'alice', aud: AUDIENCE, scope: 'openid mcp:tools', email: 'alice@example.test', ...claims }, options);

beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, claimsAgent: true });
  quiet = await stack.another({ jwtSecret: SECRET, claimsAgent: true });
  auth = await startTokenIssuer({ kid: 'first' });
  bridge = await startOAuthBridge(auth.url);
});
afterAll(async () => {
  await bridge?.close();
  await auth?.close();
  await stack?.close();
});

const envelope = {
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const modernCall = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { _meta: envelope, name: 'ask_whoami', arguments: { message: 'who?' } } };

/** A raw request to /mcp; its answer is kept, so the last test can look for tokens in every one. */
async function raw(method: string, body: unknown, headers: Record<string, string> = {}, url = bridge.url) {
  const params = (body as { params?: { _meta?: unknown; name?: string } } | undefined)?.params;
  const modern = params?._meta !== undefined;
  const response = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(modern ? { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': 'tools/call', 'mcp-name': params?.name ?? 'ask_whoami' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, challenge: response.headers.get('www-authenticate'), session: response.headers.get('mcp-session-id'), text };
}

describe('OAuth protected resource', () => {
  it('serves RFC 9728 metadata at the root and for /mcp, without a token', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const response = await fetch(new URL(path, bridge.url));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        resource: AUDIENCE,
        authorization_servers: [auth.url],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
      });
    }
  });

  it('answers every request without a token with the 401 challenge: both eras, any method, with or without a session', async () => {
    const guarded = await startOAuthBridge(auth.url, 'mint', {}, false, quiet.url);
    try {
      const cases = [
        await raw('POST', initialize, {}, guarded.url),
        await raw('POST', modernCall, {}, guarded.url),
        await raw('GET', undefined, {}, guarded.url),
        await raw('DELETE', undefined, { 'mcp-session-id': 'some-session' }, guarded.url),
        await raw('POST', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'some-session' }, guarded.url),
      ];
      for (const answer of cases) {
        expect(answer.status).toBe(401);
        expect(answer.challenge).toBe(`Bearer resource_metadata="${METADATA_URL}"`);
      }
      expect(quiet.requests).toEqual([]);
    } finally {
      await guarded.close();
    }
  });

  it('lets a signed-in user call an agent over a 2025 session, and Mastra sees their sub through a minted JWT', async () => {
    const { client, close } = await bridge.connect({ token: await accessToken() });
    try {
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('ask_whoami');
      expect(textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'who?' } }))).toContain('user=alice');
    } finally {
      await close();
    }
  });

  it("binds a 2025 session to its user: a refreshed token of that user goes on, another user's token gets 403", async () => {
    const { transport, close } = await bridge.connect({ token: await accessToken() });
    try {
      const list = { jsonrpc: '2.0', id: 9, method: 'tools/list' };
      const session = { 'mcp-session-id': transport!.sessionId!, 'mcp-protocol-version': '2025-11-25' };
      const refreshed = await raw('POST', list, { ...session, authorization: `Bearer ${await accessToken({ jti: 'refreshed' })}` });
      expect(refreshed.status).toBe(200);
      const other = await raw('POST', list, { ...session, authorization: `Bearer ${await accessToken({ sub: 'mallory' })}` });
      expect(other.status).toBe(403);
      expect(other.text).toContain('opened by another user');
    } finally {
      await close();
    }
  });

  it('lets a signed-in user call an agent over 2026-07-28, as themselves', async () => {
    const { client, close } = await bridge.connect({ era: 'modern', token: await accessToken({ sub: 'bob' }) });
    try {
      expect(textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'who?' } }))).toContain('user=bob');
    } finally {
      await close();
    }
  });

  /** Asks the `claims` agent with each token in turn: over one 2025 session (a refreshed token on it), or 2026 requests. */
  async function askClaims(era: string, tokens: string[]): Promise<string[]> {
    const call = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'ask_claims', arguments: { message: 'claims?' } } });
    const texts: string[] = [];
    if (era === MODERN_VERSION) {
      for (const token of tokens)
        texts.push((await raw('POST', { ...call(1), params: { ...call(1).params, _meta: envelope } }, { authorization: `Bearer ${token}` })).text);
      return texts;
    }
    const opened = await raw('POST', initialize, { authorization: `Bearer ${tokens[0]}` });
    for (const [index, token] of tokens.entries())
      texts.push(
        (await raw('POST', call(index + 2), { authorization: `Bearer ${token}`, 'mcp-session-id': opened.session!, 'mcp-protocol-version': '2025-11-25' }))
          .text,
      );
    await raw('DELETE', undefined, { authorization: `Bearer ${tokens.at(-1)}`, 'mcp-session-id': opened.session! });
    return texts;
  }

  it.each(['2025-11-25', MODERN_VERSION])(
    'mints the Mastra JWT from the claims of the token that made the request, not an earlier one of the user (%s)',
    async (era) => {
      const sub = `claims-${era}`;
      const before = await accessToken({ sub, email: 'old@example.test', roles: ['admin'] });
      const after = await accessToken({ sub, email: 'new@example.test', roles: ['viewer'] });
      const [first, second] = await askClaims(era, [before, after]);
      expect(first).toContain(`revealed: user=${sub} email=old@example.test roles=admin`);
      expect(second).toContain(`revealed: user=${sub} email=new@example.test roles=viewer`);
    },
  );

  it('accepts an RFC 9068 at+jwt access token with a client_id and an audience array', async () => {
    const token = await auth.server.issuer.buildToken({
      scopesOrTransform: (header, payload) => {
        header.typ = 'at+jwt';
        Object.assign(payload, { sub: 'carol', aud: ['https://other.example.test', AUDIENCE], client_id: 'claude', scp: ['mcp:tools'] });
      },
    });
    const answer = await raw('POST', modernCall, { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('user=carol');
  });

  describe('refuses, with nothing listed and nothing run', () => {
    const refusals: Array<[string, () => Promise<string>, number, string]> = [
      ['a wrong audience', () => accessToken({ aud: 'https://another-resource.example.test' }), 401, 'invalid_token'],
      ['an expired token', () => accessToken({}, { expiresIn: -120 }), 401, 'invalid_token'],
      [
        'a foreign signing key with the real kid',
        async () => {
          const { privateKey } = await generateKeyPair('RS256');
          return new SignJWT({ sub: 'mallory', aud: AUDIENCE, scope: 'mcp:tools' })
            .setProtectedHeader({ alg: 'RS256', kid: 'first', typ: 'JWT' })
            .setIssuer(auth.url)
            .setIssuedAt()
            .setExpirationTime('5m')
            .sign(privateKey);
        },
        401,
        'invalid_token',
      ],
      [
        'an unsigned token (alg none)',
        async () => {
          const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
          const now = Math.floor(Date.now() / 1000);
          return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: auth.url, sub: 'mallory', aud: AUDIENCE, scope: 'mcp:tools', exp: now + 300 })}.`;
        },
        401,
        'invalid_token',
      ],
      ['a token that is no JWT', async () => 'not-a-jwt', 401, 'invalid_token'],
      ['another issuer', () => accessToken({ iss: 'https://elsewhere.example.test' }), 401, 'invalid_token'],
      ['a Mastra token presented directly', async () => signJwt(SECRET, { sub: 'alice', aud: AUDIENCE }), 401, 'invalid_token'],
      ['a token without the required scope', () => accessToken({ scope: 'openid' }), 403, 'insufficient_scope'],
      // RFC 7519 makes sub a string: anything else would be read as another user's name, or every object's.
      ['an empty sub', () => accessToken({ sub: '' }), 401, 'invalid_token'],
      ['a number as sub', () => accessToken({ sub: 12345 }), 401, 'invalid_token'],
      ['an object as sub', () => accessToken({ sub: { id: 'victim' } }), 401, 'invalid_token'],
      ['an array as sub', () => accessToken({ sub: ['alice'] }), 401, 'invalid_token'],
    ];
    let refusing: Bridge;
    beforeAll(async () => {
      refusing = await startOAuthBridge(auth.url, 'mint', {}, false, quiet.url);
    });
    afterAll(async () => {
      await refusing?.close();
    });
    it.each(refusals)('%s', async (_name, makeToken, status, error) => {
      const token = await makeToken();
      for (const body of [initialize, modernCall]) {
        const answer = await raw('POST', body, { authorization: `Bearer ${token}` }, refusing.url);
        expect(answer.status).toBe(status);
        expect(answer.challenge).toContain(`resource_metadata="${METADATA_URL}"`);
        expect(answer.challenge).toContain(`error="${error}"`);
      }
      expect(quiet.requests).toEqual([]);
    });
  });

  it('refuses an introspected token whose sub is not a non-empty string, as it refuses such a JWT', async () => {
    const introspecting = await startOAuthBridge(
      auth.url,
      'mint',
      { introspection: { url: `${auth.url}/introspect`, clientId: 'bridge', clientSecret: 'any' } },
      false,
      quiet.url,
    );
    const answerWith = (sub: unknown) => (response: { body: unknown }) =>
      void (response.body = { active: true, iss: auth.url, aud: AUDIENCE, scope: 'mcp:tools', exp: Math.floor(Date.now() / 1000) + 300, sub });
    try {
      for (const [index, sub] of ['', 12345, { id: 'victim' }, ['alice']].entries()) {
        auth.server.service.once('beforeIntrospect', answerWith(sub));
        const response = await fetch(introspecting.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer opaque-token-${index}` },
          body: JSON.stringify(initialize),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
        expect(await response.text()).toContain('its sub claim must name the user');
        expect(quiet.requests).toEqual([]);
      }
    } finally {
      await introspecting.close();
    }
  });

  it('follows a key rotation at the authorization server', async () => {
    await auth.server.issuer.keys.generate('RS256', { kid: 'second' });
    const answer = await raw('POST', modernCall, { authorization: `Bearer ${await accessToken({ sub: 'dave' }, { kid: 'second' })}` });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('user=dave');
  });

  it('answers 503 while the authorization server cannot be reached, and keeps serving', async () => {
    const unreachable = await startOAuthBridge(`http://127.0.0.1:${await closedPort()}`);
    try {
      const response = await fetch(unreachable.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${await accessToken()}` },
        body: JSON.stringify(initialize),
      });
      expect(response.status).toBe(503);
      expect(await response.text()).toMatch(/cannot reach the authorization server/);
      expect((await fetch(new URL('/healthz', unreachable.url))).status).toBe(200);
    } finally {
      await unreachable.close();
    }
  });

  describe('takes signing keys and token answers only from where --oauth-issuer allows', () => {
    const closers: (() => Promise<unknown>)[] = [];
    afterAll(async () => {
      for (const close of closers.reverse()) await close();
    });
    const started = async <T extends { close(...args: never[]): Promise<unknown> }>(thing: Promise<T>): Promise<T> => {
      const value = await thing;
      closers.push(() => value.close());
      return value;
    };
    /** A token of `signer`'s keys naming `issuer`: valid, if the bridge takes its keys from `signer`. */
    const tokenOf = (signer: IssuerWithMetadata, issuer = signer.issuer) =>
      signer.server.issuer.buildToken({
        scopesOrTransform: (_header, payload) => Object.assign(payload, { iss: issuer, sub: 'alice', aud: AUDIENCE, scope: 'mcp:tools' }),
      });

    it('refuses a jwks_uri that is not https (plain http only on loopback): 503 naming it, no key fetched, an error line, and the bridge keeps serving', async () => {
      // 0.0.0.0 reaches this machine on Linux, yet is no loopback name: the kind of place metadata must not send the bridge to.
      const issuer = await started(
        startIssuerWithMetadata((self) => ({ document: { issuer: self, jwks_uri: `${self.replace('127.0.0.1', '0.0.0.0')}/jwks` } })),
      );
      const refusing = await startOAuthBridge(issuer.issuer);
      closers.push(() => refusing.close());
      const response = await postRpc(refusing.url, initialize, { authorization: `Bearer ${await tokenOf(issuer)}` });
      expect(response.status).toBe(503);
      const text = await response.text();
      expect(text).toContain(`the jwks_uri ${issuer.issuer.replace('127.0.0.1', '0.0.0.0')}/jwks, which is not an https:// URL`);
      expect(issuer.paths).not.toContain('/jwks');
      expect(logLines.filter((line) => line.includes('error: cannot check OAuth access tokens') && line.includes('jwks_uri'))).toHaveLength(1);
      expect((await fetch(new URL('/healthz', refusing.url))).status).toBe(200);
    });

    it('does not follow a discovery redirect to another origin', async () => {
      let elsewhere: IssuerWithMetadata | undefined;
      const issuer = await started(startIssuerWithMetadata(() => ({ redirect: `${elsewhere!.issuer}/.well-known/openid-configuration` })));
      // Metadata for the issuer, with keys of its own, on another origin: following the redirect would accept its tokens.
      elsewhere = await started(startIssuerWithMetadata((self) => ({ document: { issuer: issuer.issuer, jwks_uri: `${self}/jwks` } })));
      const redirected = await startOAuthBridge(issuer.issuer);
      closers.push(() => redirected.close());
      const response = await postRpc(redirected.url, initialize, { authorization: `Bearer ${await tokenOf(elsewhere, issuer.issuer)}` });
      expect(response.status).toBe(503);
      expect(await response.text()).toContain(`answers with a redirect (HTTP 302 to ${elsewhere.issuer}), which the bridge does not follow`);
      expect(elsewhere.paths).toEqual([]);
    });

    it('does not follow a redirect of the introspection endpoint', async () => {
      const elsewhere = await started(startIssuerWithMetadata((self) => ({ document: { issuer: self } })));
      const redirecting = await started(startIssuerWithMetadata(() => ({ redirect: `${elsewhere.issuer}/introspect` })));
      const introspecting = await startOAuthBridge(auth.url, 'mint', {
        introspection: { url: `${redirecting.issuer}/.well-known/introspect`, clientId: 'bridge', clientSecret: 'any' },
      });
      closers.push(() => introspecting.close());
      const response = await postRpc(introspecting.url, initialize, { authorization: 'Bearer an-opaque-token' });
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('a redirect, which is not followed');
      expect(elsewhere.paths).toEqual([]);
    });
  });

  it('verifies at most 20 unknown JWTs from one address (each would refetch the JWKS), then answers 429 with Retry-After; a token accepted before keeps working', async () => {
    const issuer = await startIssuerWithMetadata((self) => ({ document: { issuer: self, jwks_uri: `${self}/jwks` } }));
    const limited = await startOAuthBridge(issuer.issuer, 'mint', {}, true);
    try {
      const call = (token: string) => raw('POST', modernCall, { authorization: `Bearer ${token}` }, limited.url);
      const valid = (sub: string) =>
        issuer.server.issuer.buildToken({ scopesOrTransform: (_header, payload) => Object.assign(payload, { sub, aud: AUDIENCE, scope: 'mcp:tools' }) });
      const accepted = await valid('alice');
      expect((await call(accepted)).text).toContain('user=alice');
      const fetches = () => issuer.paths.filter((path) => path === '/jwks').length;
      const before = fetches();
      // Signed by a key the issuer never had, each under a kid of its own: jose refetches the JWKS for every unknown kid (no cooldown in this file).
      const { privateKey } = await generateKeyPair('RS256');
      const garbage = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          new SignJWT({ sub: 'mallory', aud: AUDIENCE, scope: 'mcp:tools' })
            .setProtectedHeader({ alg: 'RS256', kid: `unknown-${i}` })
            .setIssuer(issuer.issuer)
            .setExpirationTime('5m')
            .sign(privateKey),
        ),
      );
      const flood = await Promise.all(
        garbage.map(async (token) => {
          const response = await fetch(limited.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
            body: JSON.stringify(initialize),
          });
          await response.body?.cancel();
          return { status: response.status, retryAfter: Number(response.headers.get('retry-after')) };
        }),
      );
      expect(fetches() - before).toBeLessThanOrEqual(20);
      expect(flood.filter(({ status }) => status === 401).length).toBeLessThanOrEqual(20);
      const refused = flood.filter(({ status }) => status === 429);
      expect(refused.length).toBeGreaterThanOrEqual(40);
      for (const { retryAfter } of refused) expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect((await call(accepted)).text).toContain('user=alice');
      expect((await call(await valid('bob'))).status).toBe(429);
      expect(logLines.some((line) => line.includes('token checks from 127.0.0.1 failed within 10 s'))).toBe(true);
    } finally {
      await limited.close();
      await issuer.close();
    }
  });

  it("passes the user's token through with --mastra-auth passthrough: a Mastra that does not accept it gets a 502 naming the setup", async () => {
    const passthrough = await startOAuthBridge(auth.url, 'passthrough');
    try {
      const token = await accessToken();
      const response = await fetch(passthrough.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
        body: JSON.stringify(initialize),
      });
      expect(response.status).toBe(502);
      const text = await response.text();
      answers.push(text);
      expect(text).toContain('--mastra-auth');
      // Mastra was asked (the listing), with the user's token, and refused it: nothing ran.
      expect(stack.mastraRequestsCarrying(token).map(({ request }) => request)).toEqual(['GET /api/agents']);
    } finally {
      await passthrough.close();
    }
  });

  it('prints no access token or minted JWT in any log line or answer', () => {
    expect(logLines.some((line) => line.includes('access token refused'))).toBe(true);
    const jwt = /eyJ[\w-]+\.eyJ[\w-]+\./;
    for (const line of [...logLines, ...answers]) expect(line).not.toMatch(jwt);
  });
});
