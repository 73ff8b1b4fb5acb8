import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { upstreamReason } from '../kernel/errors.js';
import { silentLogger, type Logger } from '../log.js';
import { HttpError } from '../kernel/errors.js';
import { identityOf } from './callers.js';
import { tokenRefused, type OAuthChallenge } from './http-tokens.js';
import { isSecureUrl } from './secure-url.js';

export interface OAuthTokenOptions {
  /** The authorization server, exactly as its tokens' `iss` says. */
  issuer: string;
  /** The `aud` a token must name (one of, when it is an array). */
  audience: string;
  /** Scopes every token must grant. */
  requiredScopes: string[];
  challenge: OAuthChallenge;
  /** How long a JWKS fetch may wait before an unknown `kid` may fetch again (jose's cooldown). */
  jwksCooldownMs: number;
  /** How far the clocks of the bridge and the authorization server may differ, in seconds. */
  clockToleranceS: number;
  /** Hears what the operator must fix (metadata the bridge refuses). */
  logger?: Logger;
}

/** Discovery, JWKS and introspection requests that take longer fail (503). */
export const AUTHORIZATION_SERVER_TIMEOUT_MS = 5_000;

/** Asymmetric algorithms only: `none` and HMAC (a key the bridge would have to share) are never accepted. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** RFC 9068 access tokens say at+jwt; many servers say JWT or nothing. */
const TYPES = new Set([undefined, 'jwt', 'at+jwt', 'application/at+jwt']);

/** RFC 8414 puts its document before the issuer's path; OpenID Connect appends to it. Either is enough. */
function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${url.origin}${path}/.well-known/openid-configuration`];
}

/** The scopes a token grants: RFC 9068's `scope` string, or the `scp` array some servers use. */
export function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(' ').filter(Boolean);
  return Array.isArray(payload.scp) ? payload.scp.filter((scope): scope is string => typeof scope === 'string') : [];
}

/** Throws 403 insufficient_scope when the token lacks a required scope. */
export function checkScopes(payload: JWTPayload, requiredScopes: string[], challenge: OAuthChallenge): void {
  const missing = requiredScopes.filter((scope) => !scopesOf(payload).includes(scope));
  if (missing.length) throw tokenRefused(`the access token lacks the scope ${missing.join(' ')}`, challenge, 'insufficient_scope', requiredScopes.join(' '));
}

/**
 * RFC 7519 §4.1.2: `sub` is a string. Refused otherwise, since identities are built from it: a number,
 * an object or an array would name another user (`["alice"]` is not `"alice"`), or all of them at once.
 */
export function checkSubject(payload: JWTPayload, refuse: (why: string) => Error): asserts payload is VerifiedClaims {
  if (typeof payload.sub !== 'string' || payload.sub === '') throw refuse('its sub claim must name the user as a non-empty string');
}

/** A signed JWT (three parts, a header naming its algorithm), which can be verified here; anything else is opaque. */
export function isJwt(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    return typeof decodeProtectedHeader(token).alg === 'string';
  } catch {
    return false;
  }
}

/** The claims of an access token the authorization server vouches for: it names a user. */
export type VerifiedClaims = JWTPayload & { sub: string };

/** Checks access tokens: the claims, or the 401/403 challenge for a bad token, 503 when the authorization server cannot be asked. */
export interface AccessTokenVerifier {
  verify(token: string): Promise<VerifiedClaims>;
  /** The claims of a token accepted before and still trusted, asking no one; undefined when it must be verified. */
  accepted(token: string): VerifiedClaims | undefined;
}

/** Accepted tokens are kept by hash, never the token, up to this many (the oldest go first). */
const MAX_ACCEPTED = 10_000;

/** The 401 challenge for a token that fails a check; `why` names the check, never the token. */
export const refused = (why: string, challenge: OAuthChallenge) =>
  tokenRefused(`the access token is not valid for this server (${why})`, challenge, 'invalid_token');

/** Discovery metadata the bridge will not use: the authorization server's setup (or --oauth-issuer) needs fixing, so the log names it. */
class RefusedMetadata extends Error {}

/** A failed discovery is answered from memory this long (the 503's Retry-After), so callers cannot make the bridge ask again per request. */
const DISCOVERY_RETRY_MS = 5_000;

export const unreachable = (where: string, error: unknown) =>
  new HttpError(503, `Service Unavailable: cannot reach the authorization server ${where} to check the token (${upstreamReason(error)}); try again shortly.`, {
    'retry-after': '5',
  });

/**
 * A verified JWT is trusted until its `exp`, but no longer than jose keeps a JWKS (10 minutes), so a key
 * the issuer withdraws stops being trusted as soon as it would have without this memory.
 */
const ACCEPTED_MS = 10 * 60_000;

/** Verifies access tokens (JWTs) against the issuer's JWKS, found by discovery once and refetched on an unknown key. */
export class OAuthTokens implements AccessTokenVerifier {
  private keys?: Promise<ReturnType<typeof createRemoteJWKSet>>;
  private lastProblem = '';
  private readonly verified = new Map<string, { claims: VerifiedClaims; until: number }>();

  constructor(private readonly options: OAuthTokenOptions) {}

  accepted(token: string): VerifiedClaims | undefined {
    const key = identityOf(token);
    const known = this.verified.get(key);
    if (known && known.until > Date.now()) return known.claims;
    if (known) this.verified.delete(key);
    return undefined;
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const claims = await this.check(token);
    if (this.verified.size >= MAX_ACCEPTED) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(identityOf(token), { claims, until: Math.min((claims.exp ?? 0) * 1000, Date.now() + ACCEPTED_MS) });
    return claims;
  }

  private async check(token: string): Promise<VerifiedClaims> {
    const { issuer, audience, requiredScopes, challenge } = this.options;
    const keys = await this.jwks();
    let payload: JWTPayload;
    try {
      const verified = await jwtVerify(token, keys, {
        issuer,
        audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceS,
        requiredClaims: ['exp', 'sub'],
      });
      if (!TYPES.has(verified.protectedHeader.typ?.toLowerCase()))
        throw new errors.JWTInvalid(`a token of type ${verified.protectedHeader.typ} is not an access token`);
      payload = verified.payload;
    } catch (error) {
      if (cannotAsk(error)) throw unreachable(issuer, error);
      throw refused(describe(error as errors.JOSEError), challenge);
    }
    checkSubject(payload, (why) => refused(why, challenge));
    checkScopes(payload, requiredScopes, challenge);
    return payload;
  }

  /** Discovered on first use; a failed discovery is kept for DISCOVERY_RETRY_MS, then the next request tries again. */
  private jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.keys ??= this.discover().catch((error: unknown) => {
      setTimeout(() => (this.keys = undefined), DISCOVERY_RETRY_MS).unref();
      throw error;
    });
    return this.keys;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    const { issuer } = this.options;
    const problems: unknown[] = [];
    for (const url of discoveryUrls(issuer)) {
      try {
        return createRemoteJWKSet(await this.jwksUrlFrom(url), {
          timeoutDuration: AUTHORIZATION_SERVER_TIMEOUT_MS,
          cooldownDuration: this.options.jwksCooldownMs,
        });
      } catch (error) {
        problems.push(error);
      }
    }
    // A document the bridge refused says more than the other URL's 404.
    const problem = problems.find((error) => error instanceof RefusedMetadata) ?? problems.at(-1);
    if (!(problem instanceof RefusedMetadata)) throw unreachable(issuer, problem);
    const logger = this.options.logger ?? silentLogger;
    if (problem.message !== this.lastProblem) logger.error(`cannot check OAuth access tokens: ${problem.message}. Every token gets 503 until this is fixed.`);
    this.lastProblem = problem.message;
    throw new HttpError(
      503,
      `Service Unavailable: the bridge cannot use the authorization server ${issuer} to check the token (${problem.message}); its operator must fix this.`,
      { 'retry-after': '5' },
    );
  }

  /** The JWKS URL of one discovery document, held to the rule --oauth-issuer is held to. */
  private async jwksUrlFrom(url: string): Promise<URL> {
    const { issuer } = this.options;
    // Not followed: a redirect could hand the bridge metadata, and so signing keys, from any origin.
    const response = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(AUTHORIZATION_SERVER_TIMEOUT_MS),
      headers: { accept: 'application/json' },
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const to = URL.canParse(response.headers.get('location') ?? '', url) ? ` to ${new URL(response.headers.get('location')!, url).origin}` : '';
      throw new RefusedMetadata(
        `${url} answers with a redirect (HTTP ${response.status}${to}), which the bridge does not follow: --oauth-issuer must be the issuer exactly as its tokens and its metadata name it`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} from ${url}`);
    }
    const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // RFC 8414 §3.3: metadata naming another issuer must not be used.
    if (metadata.issuer !== issuer) throw new Error(`${url} names the issuer ${String(metadata.issuer)}, not ${issuer}`);
    if (typeof metadata.jwks_uri !== 'string' || !URL.canParse(metadata.jwks_uri)) throw new Error(`${url} has no jwks_uri`);
    const jwksUrl = new URL(metadata.jwks_uri);
    if (!isSecureUrl(jwksUrl) || jwksUrl.username || jwksUrl.password) {
      throw new RefusedMetadata(
        `the metadata at ${url} names the jwks_uri ${jwksUrl.origin}${jwksUrl.pathname}, which is not an https:// URL (http:// only on loopback, no user or password): the bridge takes no signing keys from it`,
      );
    }
    return jwksUrl;
  }
}

/** The JWKS could not be fetched or read (jose says "generic" for a non-200 answer): the issuer's trouble, not the token's. */
const cannotAsk = (error: unknown) =>
  !(error instanceof errors.JOSEError) || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error.code === 'ERR_JOSE_GENERIC';

/** jose's reason, which names the failed check (never the token). */
function describe(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `its ${error.claim} claim is not accepted`;
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWSSignatureVerificationFailed)
    return 'it is not signed by the authorization server';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its signing algorithm is not accepted';
  return error.message;
}
