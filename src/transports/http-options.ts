import type { MastraClient } from '@mastra/client-js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CatalogueSettings } from '../catalogue/catalogue.js';
import { MastraTokenCallers, type CallerResolver } from '../identity/callers.js';
import { FailedTokenChecks, type FailedCheckLimits } from '../identity/failed-checks.js';
import { OAuthCallers, type OAuthSettings } from '../identity/oauth-callers.js';
import { silentLogger } from '../log.js';
import type { ServerOptions } from '../protocol/legacy/server.js';
import type { IdentityPolicy } from './http-health.js';
import type { CallLimiter } from '../operating/rate-limit.js';

/**
 * Each session's server gets these options; `client` is the service-level one, for sessions that
 * bring no token. Each setting is named as in config.ts, whose table holds its default.
 */
export interface HttpOptions extends ServerOptions {
  /** Builds the client of a session that brings its own token. Default: `createMastraClient`. */
  clientForToken?: (token: string) => MastraClient;
  /** Bind address. */
  host: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Refuse sessions without `Authorization: Bearer <token>` (403). */
  requireToken: boolean;
  /** On a non-loopback host, let sessions without a token use the service client. */
  allowAnonymous: boolean;
  /** Host header values accepted; undefined: the loopback names and the bind address (see web-safety.ts). */
  allowedHosts: string[] | undefined;
  /** Origins accepted; undefined: the request's own origin only. */
  allowedOrigins: string[] | undefined;
  /** `--trust-proxy`: proxies whose X-Forwarded-For names the client (transports/client-address.ts); none: the TCP peer. */
  trustProxy: string[] | undefined;
  /** Largest request body in bytes. */
  maxBody: number;
  /** Open sessions and listen streams at most. */
  maxSessions: number;
  /** Open sessions and listen streams of one identity (token) at most; token-less ones count as one. */
  maxSessionsPerIdentity: number;
  /** Whether JWT_TOKEN is set: then callers with a token see the service-level listing. */
  hasServiceToken: boolean;
  /** Callers with a token always see their own listing. */
  perUserCatalogue: boolean;
  /** How the callers' own listings are made: the service-level catalogue's settings. */
  listing: CatalogueSettings;
  /** How long a token check's outcome is trusted. */
  tokenCheckTtlMs: number;
  /** Failed checks of new tokens allowed per client address (identity/failed-checks.ts). */
  failedTokenChecks: FailedCheckLimits;
  /** Callers sign in with OAuth at this issuer (identity/oauth-callers.ts) instead of bringing Mastra tokens. */
  oauth: OAuthSettings | undefined;
  /** Who is calling. Default: Mastra tokens checked with Mastra (identity/callers.ts), or OAuth users with `oauth`. */
  callers?: CallerResolver;
  /** Idle time after which a session (or listen stream) is closed. */
  sessionIdleTimeoutMs: number;
  /** How long in-flight calls may take to finish on shutdown. */
  shutdownGraceMs: number;
  /** Serve 2025-11-25 clients without sessions: each POST stands alone (see transports/http-stateless.ts). */
  stateless: boolean;
  /** Starts every session id (`<replicaId>.<uuid>`), so a load balancer can send a session's requests to its replica. */
  replicaId: string | undefined;
  /** Answers GET /metrics on this port (`--metrics` without `--metrics-port`); undefined: no such path. */
  metricsEndpoint?: (req: IncomingMessage, res: ServerResponse) => void;
  /** `--rate-limit`: calls per identity; over it, 429 with Retry-After. None: no limit. */
  rateLimiter?: CallLimiter;
}

export interface HttpBridge {
  /** `http://HOST:PORT/mcp` with the real port. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight calls finish within the grace period, then closes every session. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/**
 * Who is calling, and what each caller sees: callers with a token see the service-level listing
 * only when JWT_TOKEN is set and --per-user-catalogue is not; otherwise each sees its own.
 */
export function identityFor(
  options: HttpOptions,
  { requireToken, keepMs }: { requireToken: boolean; keepMs: number },
): { callers: CallerResolver; policy: IdentityPolicy } {
  const ownCatalogues = options.perUserCatalogue || !options.hasServiceToken;
  const shared = {
    serviceCatalogue: options.catalogue,
    ownCatalogues,
    baseUrl: options.baseUrl,
    listing: options.listing,
    tokenCheckTtlMs: options.tokenCheckTtlMs,
    logger: options.logger ?? silentLogger,
  };
  // Made only for the resolvers made here; a resolver passed in brings its own rules.
  const failedChecks = () => new FailedTokenChecks(options.failedTokenChecks, options.logger);
  const callers =
    options.callers ??
    (options.oauth
      ? new OAuthCallers({ ...shared, failedChecks: failedChecks(), settings: options.oauth, observer: options.observer })
      : new MastraTokenCallers({ ...shared, failedChecks: failedChecks(), serviceClient: options.client, clientForToken: options.clientForToken, keepMs }));
  const policy: IdentityPolicy = {
    serviceToken: options.hasServiceToken,
    catalogue: callers.catalogueOfCallers === 'own' ? 'per-caller' : 'service',
    tokenless: requireToken ? 'refused' : 'allowed',
  };
  return { callers, policy };
}
