import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Server } from 'oauth2-mock-server';
import type { OAuthSettings } from '../../src/identity/oauth-callers.js';
import { oauthDefaults } from './defaults.js';

export interface TokenIssuer {
  /** The issuer URL its tokens name, `http://127.0.0.1:<port>`. */
  url: string;
  /** oauth2-mock-server itself: its keys, its service's events. */
  server: OAuth2Server;
  /** An access token with these claims over its defaults (`buildToken`'s `expiresIn` and `kid` in `options`). */
  token(claims: Record<string, unknown>, options?: { kid?: string; expiresIn?: number }): Promise<string>;
  close(): Promise<void>;
}

/** An authorization server that issues whatever token a test asks for (oauth2-mock-server) on a free loopback port. */
export async function startTokenIssuer(options: { kid?: string } = {}): Promise<TokenIssuer> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256', options.kid ? { kid: options.kid } : undefined);
  await server.start(0, '127.0.0.1');
  return {
    url: server.issuer.url!,
    server,
    token: (claims, more = {}) => server.issuer.buildToken({ ...more, scopesOrTransform: (_header, payload) => Object.assign(payload, claims) }),
    close: () => server.stop(),
  };
}

/** A bridge at `publicUrl` that accepts this issuer's tokens with no scope required, and reaches Mastra with JWTs it mints with `mintSecret`. */
export const mintingResource = (issuer: string, publicUrl: string, mintSecret: string): OAuthSettings => ({
  ...oauthDefaults,
  issuer,
  publicUrl,
  audience: `${publicUrl}/mcp`,
  requiredScopes: [],
  mastraAuth: 'mint',
  mintSecret,
  mintClaims: [],
});

/** What the discovery URLs answer: a document, or a redirect. */
export type Discovery = { document: Record<string, unknown> } | { redirect: string };

export interface IssuerWithMetadata {
  /** `http://127.0.0.1:<port>`, the issuer its tokens name. */
  issuer: string;
  /** oauth2-mock-server's issuer behind it: its keys (served at `/jwks`) sign the tokens. */
  server: OAuth2Server;
  /** The path of every request it got, in order. */
  paths: string[];
  close(): Promise<void>;
}

/**
 * An authorization server whose discovery documents (RFC 8414 and OpenID Connect) say what a test
 * needs, as no real server can be made to: a jwks_uri elsewhere, a redirect. Keys, tokens and every
 * other endpoint are oauth2-mock-server's.
 */
export async function startIssuerWithMetadata(discovery: (issuer: string) => Discovery): Promise<IssuerWithMetadata> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  const paths: string[] = [];
  const http = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    paths.push(path);
    if (!path.startsWith('/.well-known/')) return server.service.requestHandler(req, res);
    const answer = discovery(issuer);
    if ('redirect' in answer) res.writeHead(302, { location: answer.redirect }).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.document));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  server.issuer.url = issuer;
  return { issuer, server, paths, close: () => new Promise<void>((resolve) => http.close(() => resolve())) };
}
