import * as oauth from 'oauth4webapi';
import { silentLogger, type Logger } from '../log.js';
import { HttpError } from '../kernel/errors.js';
import { identityOf } from './callers.js';
import { isSecureUrl } from './secure-url.js';
import {
  AUTHORIZATION_SERVER_TIMEOUT_MS,
  checkScopes,
  checkSubject,
  refused,
  unreachable,
  type AccessTokenVerifier,
  type OAuthTokenOptions,
  type VerifiedClaims,
} from './oauth-tokens.js';

/** Where and as whom the bridge asks the authorization server about a token (RFC 7662). */
export interface IntrospectionSettings {
  url: string;
  /** The bridge's own client at the authorization server (MCP_OAUTH_CLIENT_ID / MCP_OAUTH_CLIENT_SECRET). */
  clientId: string;
  clientSecret: string;
}

export interface IntrospectionOptions extends OAuthTokenOptions {
  introspection: IntrospectionSettings;
  logger?: Logger;
}

interface Answer {
  claims?: VerifiedClaims;
  refusal?: HttpError;
  until: number;
}

/** How long an answer is kept per token hash; an active token's answer never outlives its `exp`. */
const ANSWER_CACHE_MS = 60_000;
/** A refused token is asked about again after this long (a token the server did not know yet may become known). */
const REFUSAL_CACHE_MS = 10_000;
const MAX_ANSWERS = 10_000;

/**
 * Opaque access tokens, read for the bridge by the authorization server. Answers are kept per
 * token hash (never the token) for a short while, and concurrent requests with one token ask once.
 */
export class IntrospectedTokens implements AccessTokenVerifier {
  private readonly server: oauth.AuthorizationServer;
  private readonly client: oauth.Client;
  private readonly answers = new Map<string, Answer>();
  private readonly asking = new Map<string, Promise<VerifiedClaims>>();

  constructor(private readonly options: IntrospectionOptions) {
    this.server = { issuer: options.issuer, introspection_endpoint: options.introspection.url };
    this.client = { client_id: options.introspection.clientId };
  }

  accepted(token: string): VerifiedClaims | undefined {
    const answer = this.answers.get(identityOf(token));
    return answer && answer.until > Date.now() ? answer.claims : undefined;
  }

  async verify(token: string): Promise<VerifiedClaims> {
    const key = identityOf(token);
    const answer = this.answers.get(key);
    if (answer && answer.until > Date.now()) {
      if (answer.refusal) throw answer.refusal;
      return answer.claims!;
    }
    const asked = this.asking.get(key) ?? this.ask(key, token).finally(() => this.asking.delete(key));
    this.asking.set(key, asked);
    return asked;
  }

  private async ask(key: string, token: string): Promise<VerifiedClaims> {
    const response = await this.introspect(token);
    try {
      const claims = this.check(response);
      const exp = typeof claims.exp === 'number' ? claims.exp * 1000 : Infinity;
      this.keep(key, { claims, until: Math.min(Date.now() + ANSWER_CACHE_MS, exp) });
      return claims;
    } catch (refusal) {
      this.keep(key, { refusal: refusal as HttpError, until: Date.now() + REFUSAL_CACHE_MS });
      throw refusal;
    }
  }

  /** The server's answer; 503 when it cannot be asked, 502 when it refuses the bridge itself (its client credentials). */
  private async introspect(token: string): Promise<oauth.IntrospectionResponse> {
    const { url, clientSecret } = this.options.introspection;
    let response: Response;
    try {
      response = await oauth.introspectionRequest(this.server, this.client, oauth.ClientSecretBasic(clientSecret), token, {
        signal: AbortSignal.timeout(AUTHORIZATION_SERVER_TIMEOUT_MS),
        // http:// on loopback only, whoever built the settings; oauth4webapi refuses any other http:// URL.
        [oauth.allowInsecureRequests]: url.startsWith('http:') && isSecureUrl(url),
      });
    } catch (error) {
      throw unreachable(url, error);
    }
    if (response.status >= 500) throw unreachable(url, new Error(`HTTP ${response.status}`));
    // oauth4webapi follows no redirect: one would send the bridge's client secret and the token to another place.
    if (response.status >= 300 && response.status < 400) {
      (this.options.logger ?? silentLogger).error(
        `the introspection endpoint ${url} answers with a redirect (HTTP ${response.status}), which the bridge does not follow: set --oauth-introspection-url to the endpoint itself`,
      );
      throw unreachable(url, new Error(`HTTP ${response.status}, a redirect, which is not followed`));
    }
    try {
      return await oauth.processIntrospectionResponse(this.server, this.client, response);
    } catch (error) {
      // oauth4webapi's error names the server's error code (e.g. invalid_client); the body stays unprinted.
      const reason = error instanceof oauth.ResponseBodyError ? `${error.status} ${error.error}` : (error as Error).message;
      (this.options.logger ?? silentLogger).warn(
        `the introspection endpoint ${url} refused the bridge's request (${reason}): check MCP_OAUTH_CLIENT_ID and MCP_OAUTH_CLIENT_SECRET`,
      );
      throw new HttpError(
        502,
        `Bad Gateway: the authorization server's introspection endpoint refused the bridge's request (${reason}); the bridge's operator must fix its client credentials.`,
      );
    }
  }

  /** RFC 7662 §4: the resource decides. Active, unexpired, this issuer and audience when named, a user, the scopes. */
  private check(response: oauth.IntrospectionResponse): VerifiedClaims {
    const { issuer, audience, requiredScopes, challenge, clockToleranceS } = this.options;
    const refuse = (why: string) => refused(why, challenge);
    const now = Date.now() / 1000;
    if (!response.active) throw refuse('the authorization server says it is not active: expired, revoked or unknown');
    if (typeof response.exp === 'number' && response.exp + clockToleranceS < now) throw refuse('it has expired');
    if (typeof response.nbf === 'number' && response.nbf - clockToleranceS > now) throw refuse('it is not valid yet');
    if (response.iss !== undefined && response.iss !== issuer) throw refuse('its iss claim is not accepted');
    const audiences = response.aud === undefined ? undefined : [response.aud].flat();
    if (audiences && !audiences.includes(audience)) throw refuse('its aud claim is not accepted');
    checkSubject(response, refuse);
    checkScopes(response, requiredScopes, challenge);
    return response;
  }

  private keep(key: string, answer: Answer): void {
    if (this.answers.size >= MAX_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
    this.answers.set(key, answer);
  }
}
