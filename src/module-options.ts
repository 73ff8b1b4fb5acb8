import type { CatalogueSettings } from './catalogue/catalogue.js';
import type { RefreshOptions } from './catalogue/refresh.js';
import { FIXED, type Config } from './config.js';
import type { OAuthSettings } from './identity/oauth-callers.js';
import type { FrontOptions } from './protocol/front-options.js';
import type { RedisTaskOptions } from './tasks/redis/redis-task-store.js';
import type { TaskLimits } from './tasks/task-store.js';
import type { HttpOptions } from './transports/http-options.js';

/*
 * Each module's options from the settings, every one by name and under the name the table gives it:
 * nothing rides along that a module does not take, no secret either. main.ts builds the bridge from
 * these, and the tests build theirs from the same ones applied to the defaults.
 */

export const catalogueSettings = (config: Config): CatalogueSettings => ({
  toolPrefix: config.toolPrefix,
  workflowPrefix: config.workflowPrefix,
  maxToolName: config.maxToolName,
  filter: { include: config.include, exclude: config.exclude },
  describeFromInstructions: config.describeFromInstructions,
});

export const refreshSettings = (config: Config): Omit<RefreshOptions, 'catalogue' | 'baseUrl' | 'logger' | 'peers'> => ({
  refreshIntervalMs: config.refreshIntervalMs,
  retryMaxDelayMs: config.retryMaxDelayMs,
  firstRetryDelayMs: FIXED.firstRetryDelayMs,
  listTimeoutMs: FIXED.listTimeoutMs,
  serviceToken: config.serviceToken !== undefined,
  // An HTTP bridge without JWT_TOKEN lists with each caller's own token: Mastra refusing its token-less listing is expected.
  listingOptional: config.transport === 'http' && config.serviceToken === undefined,
});

export const taskLimits = (config: Config): TaskLimits => ({
  taskTtlMaxMs: config.taskTtlMaxMs,
  maxTasksPerSession: config.maxTasksPerSession,
  pollIntervalMs: FIXED.pollIntervalMs,
  taskResultsMaxPerSession: config.taskResultsMaxPerSession,
  taskResultsMax: config.taskResultsMax,
  runOwnerTtlMs: config.runOwnerTtlMs,
});

/** Tasks in Redis, when --redis-url is set. */
export const redisSettings = (config: Config): Omit<RedisTaskOptions, 'logger'> | undefined =>
  config.redisUrl === undefined ? undefined : { redisUrl: config.redisUrl, redisPrefix: config.redisPrefix, taskLeaseMs: config.taskLeaseMs };

/** What both eras' fronts take from the settings; the catalogue, client, task board and request state sealer are main's. */
export const frontSettings = (
  config: Config,
): Pick<FrontOptions, 'callTimeoutMs' | 'maxResultChars' | 'progress' | 'autoApproveTools' | 'resumeForeignRuns' | 'refreshIntervalMs'> => ({
  callTimeoutMs: config.callTimeoutMs,
  maxResultChars: config.maxResultChars,
  progress: { ...FIXED.progress },
  autoApproveTools: config.autoApproveTools,
  resumeForeignRuns: config.resumeForeignRuns,
  refreshIntervalMs: config.refreshIntervalMs,
});

/** Signing in with OAuth, when --oauth-issuer is set (config.ts has checked that what it needs is there). */
export function oauthSettings(config: Config): OAuthSettings | undefined {
  if (config.oauthIssuer === undefined) return undefined;
  return {
    issuer: config.oauthIssuer,
    publicUrl: config.publicUrl!,
    audience: config.oauthAudience!,
    requiredScopes: config.oauthScopes,
    mastraAuth: config.mastraAuth,
    mintSecret: config.mastraJwtSecret,
    mintClaims: config.mintClaims,
    clockToleranceS: FIXED.clockToleranceS,
    jwksCooldownMs: FIXED.jwksCooldownMs,
    introspection:
      config.oauthIntrospectionUrl === undefined
        ? undefined
        : { url: config.oauthIntrospectionUrl, clientId: config.oauthClientId!, clientSecret: config.oauthClientSecret! },
  };
}

type HttpSettings = Omit<HttpOptions, keyof FrontOptions | 'clientForToken' | 'callers' | 'sessionTasks' | 'identityTasks' | 'perRequest' | 'identity'>;

/** What the HTTP transport takes from the settings, besides the fronts' own. */
export const httpSettings = (config: Config): HttpSettings => ({
  host: config.host,
  port: config.port,
  requireToken: config.requireToken,
  allowAnonymous: config.allowAnonymous,
  allowedHosts: config.allowedHosts,
  allowedOrigins: config.allowedOrigins,
  trustProxy: config.trustProxy,
  maxBody: config.maxBody,
  maxSessions: config.maxSessions,
  maxSessionsPerIdentity: config.maxSessionsPerIdentity,
  hasServiceToken: config.serviceToken !== undefined,
  perUserCatalogue: config.perUserCatalogue,
  listing: catalogueSettings(config),
  tokenCheckTtlMs: FIXED.tokenCheckTtlMs,
  failedTokenChecks: { ...FIXED.failedTokenChecks },
  oauth: oauthSettings(config),
  sessionIdleTimeoutMs: config.sessionIdleTimeoutMs,
  shutdownGraceMs: config.shutdownGraceMs,
  stateless: config.stateless,
  replicaId: config.replicaId,
});
