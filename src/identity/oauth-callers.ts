import type { MastraClient } from '@mastra/client-js';
import { SignJWT } from 'jose';
import { Catalogue, type CatalogueSettings } from '../catalogue/catalogue.js';
import { refreshWithin } from '../catalogue/refresh.js';
import { silentLogger, type Logger } from '../log.js';
import { createMastraClientWithCredential } from '../mastra-client.js';
import type { BridgeObserver } from '../kernel/observer.js';
import { HttpError } from '../kernel/errors.js';
import { identityOf, type Caller, type CallerResolver, type OAuthResource } from './callers.js';
import type { FailedTokenChecks } from './failed-checks.js';
import { checkFailure, tokenRefused } from './http-tokens.js';
import { IntrospectedTokens, type IntrospectionSettings } from './oauth-introspection.js';
import { isJwt, OAuthTokens, type AccessTokenVerifier, type OAuthTokenOptions, type VerifiedClaims } from './oauth-tokens.js';

export interface OAuthSettings extends Omit<OAuthTokenOptions, 'challenge'> {
  /** The URL clients use, without /mcp: the resource is `<publicUrl>/mcp`. */
  publicUrl: string;
  /** How the verified user reaches Mastra: a JWT the bridge signs for `MastraJwtAuth`, or the user's own token. */
  mastraAuth: 'mint' | 'passthrough';
  /** The HS256 secret of the Mastra app's `MastraJwtAuth` (MASTRA_JWT_SECRET); required by `mint`. */
  mintSecret?: string;
  /** Claims of the user's token copied into the minted JWT, besides `sub`. */
  mintClaims: string[];
  /** When set, opaque access tokens are read by the authorization server (RFC 7662); JWTs are still verified here. */
  introspection?: IntrospectionSettings;
}

export interface OAuthCallersOptions {
  settings: OAuthSettings;
  serviceCatalogue: Catalogue;
  /** Whether each user sees their own listing (made with their credential) rather than the service-level one. */
  ownCatalogues: boolean;
  baseUrl: string;
  /** How each user's own catalogue lists and names (the service-level catalogue's settings). */
  listing: CatalogueSettings;
  /** How long an own listing is trusted before a request re-lists (as a Mastra token check is). */
  tokenCheckTtlMs: number;
  /** Limits the checks of tokens not accepted before, per client address. Default: none. */
  failedChecks?: FailedTokenChecks;
  logger?: Logger;
  /** Hears each request the users' clients make to Mastra (metrics). Default: nobody. */
  observer?: BridgeObserver;
}

/** A minted JWT lives this long, and is re-minted once half of it has passed, so a request never carries one about to expire. */
const MINTED_LIFETIME_S = 300;

interface User {
  caller: Caller;
  /** The claims of the user's latest verified token, and the token itself (for passthrough only). */
  claims: VerifiedClaims;
  token: string;
  /** The last JWT minted for the user, and the claims it carries: a token with other claims gets a new one. */
  minted?: { jwt: string; claims: string; until: number };
  listedAt: number;
  usedAt: number;
}

const MAX_USERS = 10_000;

/** The RFC 9728 document and challenge of a bridge whose resource is `<publicUrl>/mcp`. */
export function protectedResource(settings: Pick<OAuthSettings, 'publicUrl' | 'issuer' | 'requiredScopes'>): OAuthResource {
  return {
    challenge: { resourceMetadataUrl: `${settings.publicUrl}/.well-known/oauth-protected-resource/mcp` },
    metadata: {
      resource: `${settings.publicUrl}/mcp`,
      authorization_servers: [settings.issuer],
      scopes_supported: settings.requiredScopes,
      bearer_methods_supported: ['header'],
    },
  };
}

/**
 * Who is calling, by an OAuth access token the bridge verifies itself. The verified user (issuer
 * and `sub`, hashed) is the identity that owns sessions and tasks; Mastra sees them through a JWT
 * the bridge mints for them, or their own token when Mastra accepts it too (passthrough).
 */
export class OAuthCallers implements CallerResolver {
  readonly catalogueOfCallers: 'service' | 'own';
  readonly oauth: OAuthResource;
  private readonly tokens: AccessTokenVerifier;
  private readonly users = new Map<string, User>();

  constructor(private readonly options: OAuthCallersOptions) {
    this.catalogueOfCallers = options.ownCatalogues ? 'own' : 'service';
    this.oauth = protectedResource(options.settings);
    const { introspection, ...settings } = options.settings;
    const tokenOptions = { ...settings, challenge: this.oauth.challenge, logger: options.logger };
    const jwts = new OAuthTokens(tokenOptions);
    const opaque = introspection && new IntrospectedTokens({ ...tokenOptions, introspection });
    // JWT access tokens (RFC 9068) are made to be verified here, without a round trip (and some servers refuse to introspect them).
    const verifierOf = (token: string) => (!opaque || isJwt(token) ? jwts : opaque);
    this.tokens = { verify: (token) => verifierOf(token).verify(token), accepted: (token) => verifierOf(token).accepted(token) };
  }

  async resolve(token: string | undefined, address?: string): Promise<Caller> {
    if (token === undefined) throw tokenRefused('this server requires an OAuth access token', this.oauth.challenge);
    const claims = this.tokens.accepted(token) ?? (await this.verify(token, address));
    // Encoded as a JSON array, so no issuer and subject can be mistaken for another pair.
    const identity = identityOf(JSON.stringify([claims.iss ?? '', claims.sub]));
    const user = this.users.get(identity) ?? this.add(identity, claims, token);
    Object.assign(user, { claims, token, usedAt: Date.now() });
    if (user.caller.catalogue !== this.options.serviceCatalogue && Date.now() - user.listedAt >= this.options.tokenCheckTtlMs) await this.list(user);
    return user.caller;
  }

  close(): void {
    this.users.clear();
  }

  /** A token not accepted before spends a point of its address until it is: garbage cannot make the bridge ask the authorization server without end. */
  private async verify(token: string, address: string | undefined): Promise<VerifiedClaims> {
    const passed = await this.options.failedChecks?.take(address);
    const claims = await this.tokens.verify(token).catch((error: unknown) => {
      // The reason names the failed check (jose's words), never the token.
      if (error instanceof HttpError) this.options.logger?.debug(`access token refused (HTTP ${error.status}): ${error.message}`);
      throw error;
    });
    passed?.();
    return claims;
  }

  private add(identity: string, claims: User['claims'], token: string): User {
    if (this.users.size >= MAX_USERS) this.forgetOldest();
    const { serviceCatalogue, ownCatalogues, listing, baseUrl } = this.options;
    const user = { claims, token, listedAt: 0, usedAt: Date.now() } as User;
    const client: MastraClient = createMastraClientWithCredential(async () => this.credential(user), { baseUrl, observer: this.options.observer });
    const catalogue = ownCatalogues ? new Catalogue({ client, ...listing }) : serviceCatalogue;
    if (ownCatalogues) catalogue.on('stale', () => (user.listedAt = 0));
    user.caller = { identity, client, catalogue };
    this.users.set(identity, user);
    return user;
  }

  /** The user's own listing, made with their Mastra credential; a re-list that fails keeps the earlier one. */
  private async list(user: User): Promise<void> {
    const { baseUrl, logger = silentLogger } = this.options;
    try {
      await refreshWithin(user.caller.catalogue, 10_000);
      user.listedAt = Date.now();
    } catch (error) {
      const failure = checkFailure(error, baseUrl);
      if (user.listedAt > 0 && !failure.refused) {
        logger.warn(`could not re-list a user's agents (${failure.error.message}); keeping the earlier listing`);
        return;
      }
      if (!failure.refused) throw failure.error;
      // The user's token is valid here: Mastra refusing the credential made for it is the bridge's configuration.
      const fix =
        this.options.settings.mastraAuth === 'mint'
          ? 'MASTRA_JWT_SECRET must be the secret of its MastraJwtAuth'
          : "its auth must accept this issuer's tokens, or use --mastra-auth mint";
      logger.warn(`the Mastra server refused the credential of a verified user: ${fix}`);
      throw new HttpError(
        502,
        `Bad Gateway: the Mastra server at ${baseUrl} refused the bridge's credential for you; the bridge's operator must fix its --mastra-auth setup (${fix}).`,
      );
    }
  }

  private async credential(user: User): Promise<string> {
    const { mastraAuth, mintSecret, mintClaims } = this.options.settings;
    if (mastraAuth === 'passthrough') return user.token;
    const now = Math.floor(Date.now() / 1000);
    const copied = Object.fromEntries(mintClaims.flatMap((claim) => (user.claims[claim] !== undefined ? [[claim, user.claims[claim]]] : [])));
    // Keyed by what it carries: a role taken away or an email changed in the user's latest token reaches Mastra with that token.
    const claims = JSON.stringify(copied);
    if (user.minted && user.minted.until > now && user.minted.claims === claims) return user.minted.jwt;
    const jwt = await new SignJWT({ ...copied, sub: user.claims.sub })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + MINTED_LIFETIME_S)
      .sign(new TextEncoder().encode(mintSecret));
    user.minted = { jwt, claims, until: now + MINTED_LIFETIME_S / 2 };
    return jwt;
  }

  private forgetOldest(): void {
    const oldest = [...this.users.entries()].sort(([, a], [, b]) => a.usedAt - b.usedAt).slice(0, MAX_USERS / 10);
    for (const [identity] of oldest) this.users.delete(identity);
  }
}
