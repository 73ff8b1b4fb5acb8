import type { MastraClient } from '@mastra/client-js';
import { MastraTokenCallers, type CallerResolver } from '../identity/callers.js';
import { FailedTokenChecks, type FailedCheckLimits } from '../identity/failed-checks.js';
import { OAuthCallers, type OAuthSettings } from '../identity/oauth-callers.js';
import { silentLogger } from '../log.js';
import type { ServerOptions } from '../protocol/legacy/server.js';
import type { IdentityPolicy } from './http-health.js';

/** Each session's server gets these options; `client` is the service-level one, for sessions that bring no token. */
export interface HttpOptions extends ServerOptions {
  /** Builds the client of a session that brings its own token. Default: `createMastraClient`. */
  clientForToken?: (token: string) => MastraClient;
  /** Bind address. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Refuse sessions without `Authorization: Bearer <token>` (403). Default false. */
  requireToken?: boolean;
  /** On a non-loopback host, let sessions without a token use the service client. Default false. */
  allowAnonymous?: boolean;
  /** Host header values accepted. Default: loopback names and the bind address (see web-safety.ts). */
  allowedHosts?: string[];
  /** Origins accepted. Default: the request's own origin only. */
  allowedOrigins?: string[];
  /** Largest request body in bytes. Default 1 MiB. */
  maxBody?: number;
  /** Open sessions at most. Default 1000. */
  maxSessions?: number;
  /** Open sessions of one identity (token) at most; token-less sessions count as one. Default 32. */
  maxSessionsPerIdentity?: number;
  /** Whether JWT_TOKEN is set: then callers with a token see the service-level listing. Default false. */
  hasServiceToken?: boolean;
  /** Callers with a token always see their own listing. Default false. */
  perUserCatalogue?: boolean;
  /** Tool prefix and agent filter of the callers' own listings (as the service-level catalogue's). */
  toolPrefix?: string;
  workflowPrefix?: string;
  include?: string[];
  exclude?: string[];
  /** How long a token check's outcome is trusted. Default 60 s. */
  tokenCheckTtlMs?: number;
  /** Failed checks of new tokens allowed per client address (identity/failed-checks.ts). Default 20 per 10 s. */
  failedTokenChecks?: Partial<FailedCheckLimits>;
  /** Callers sign in with OAuth at this issuer (identity/oauth-callers.ts) instead of bringing Mastra tokens. */
  oauth?: OAuthSettings;
  /** Who is calling. Default: Mastra tokens checked with Mastra (identity/callers.ts), or OAuth users with `oauth`. */
  callers?: CallerResolver;
  /** Idle time after which a session is closed. Default 30 minutes. */
  sessionIdleTimeoutMs?: number;
  /** How long in-flight calls may take to finish on shutdown. Default 10 s. */
  shutdownGraceMs?: number;
  /** Serve 2025-11-25 clients without sessions: each POST stands alone (see transports/http-stateless.ts). Default false. */
  stateless?: boolean;
  /** Starts every session id (`<replicaId>.<uuid>`), so a load balancer can send a session's requests to its replica. Default: none. */
  replicaId?: string;
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
export function identityFor(options: HttpOptions, { requireToken, keepMs }: { requireToken: boolean; keepMs: number }): { callers: CallerResolver; policy: IdentityPolicy } {
  const ownCatalogues = options.perUserCatalogue === true || !options.hasServiceToken;
  const shared = {
    serviceCatalogue: options.catalogue,
    ownCatalogues,
    baseUrl: options.baseUrl,
    prefix: options.toolPrefix,
    workflowPrefix: options.workflowPrefix,
    filter: { include: options.include, exclude: options.exclude },
    ttlMs: options.tokenCheckTtlMs,
    logger: options.logger ?? silentLogger,
  };
  // Made only for the resolvers made here; a resolver passed in brings its own rules.
  const failedChecks = () => new FailedTokenChecks(options.failedTokenChecks, options.logger);
  const callers =
    options.callers ??
    (options.oauth
      ? new OAuthCallers({ ...shared, failedChecks: failedChecks(), settings: options.oauth })
      : new MastraTokenCallers({ ...shared, failedChecks: failedChecks(), serviceClient: options.client, clientForToken: options.clientForToken, keepMs }));
  const policy: IdentityPolicy = {
    serviceToken: options.hasServiceToken === true,
    catalogue: callers.catalogueOfCallers === 'own' ? 'per-caller' : 'service',
    tokenless: requireToken ? 'refused' : 'allowed',
  };
  return { callers, policy };
}
