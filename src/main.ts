import { openCatalogue } from './catalogue/open.js';
import { ConfigError, parseCommand } from './config.js';
import { helpText } from './help.js';
import { createLogger, formatLogLine, guardConsole } from './log.js';
import { createMastraClient } from './mastra-client.js';
import { openRedisTasks } from './tasks/redis/redis-task-store.js';
import { TaskBoard } from './tasks/task-board.js';
import { serveHttp } from './transports/http.js';
import { serveStdio } from './transports/stdio.js';
import { VERSION } from './kernel/version.js';
import { requestStateSealer } from './protocol/modern/request-state.js';

/** Where the program writes: help and version to `stdout`, the one-line errors and the logs to `stderr`. */
export interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * The whole program: argv and env in, the exit code out. Everything it configures comes from these
 * two (never from process.env), so a test can run it in-process with any environment.
 */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, output: Output = process): Promise<number> {
  let command;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.stderr.write(formatLogLine('error', error.message));
    return 1;
  }
  if (command.kind === 'help') {
    output.stdout.write(helpText());
    return 0;
  }
  if (command.kind === 'version') {
    output.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { config } = command;
  const { baseUrl } = config;
  const logger = createLogger(config.logLevel, (line) => output.stderr.write(line));
  for (const warning of command.warnings) logger.warn(warning);
  // Libraries print to the console behind the logger (client-js dumps a failed stream, prompt and all).
  const restoreConsole = guardConsole(logger);
  const client = createMastraClient(config.serviceToken, { baseUrl });
  // Opened first, so that the catalogue hears the other replicas from its first listing on.
  const redis = config.redisUrl ? openRedisTasks({ url: config.redisUrl, prefix: config.redisPrefix, leaseMs: config.taskLease, logger }) : undefined;
  const { catalogue, refresher } = await openCatalogue({
    client,
    baseUrl,
    logger,
    prefix: config.toolPrefix,
    workflowPrefix: config.workflowPrefix,
    filter: { include: config.include, exclude: config.exclude },
    describeFromInstructions: config.describeFromInstructions,
    intervalMs: config.refreshInterval,
    maxRetryDelayMs: config.retryMaxDelay,
    serviceToken: config.serviceToken !== undefined,
    // An HTTP bridge without JWT_TOKEN lists with each caller's own token: Mastra refusing its token-less listing is expected.
    listingOptional: config.transport === 'http' && config.serviceToken === undefined,
    peers: redis?.peers,
  });
  const tasks = new TaskBoard({
    ttlMaxMs: config.taskTtlMaxMs,
    maxRunningPerSession: config.maxTasksPerSession,
    maxResultBytesPerSession: config.taskResultsMaxPerSession,
    maxResultBytes: config.taskResultsMax,
    runOwnerTtlMs: config.runOwnerTtl,
  }, { shared: redis?.shared });
  const requestStates = requestStateSealer(config.requestStateSecret);
  const options = {
    catalogue,
    client,
    baseUrl,
    logger,
    callTimeoutMs: config.callTimeoutMs,
    tasks,
    autoApproveTools: config.autoApproveTools,
    requestStates,
    resumeForeignRuns: config.resumeForeignRuns,
  };
  try {
    if (config.transport === 'http') {
      await serveHttp({
        ...options,
        ...config,
        hasServiceToken: config.serviceToken !== undefined,
        oauth: config.oauthIssuer
          ? {
              issuer: config.oauthIssuer,
              publicUrl: config.publicUrl!,
              audience: config.oauthAudience ?? `${config.publicUrl}/mcp`,
              requiredScopes: config.oauthScopes ?? [],
              mastraAuth: config.mastraAuth,
              mintSecret: config.mastraJwtSecret,
              mintClaims: config.mintClaims ?? ['email', 'name'],
              introspection: config.oauthIntrospectionUrl
                ? { url: config.oauthIntrospectionUrl, clientId: config.oauthClientId!, clientSecret: config.oauthClientSecret! }
                : undefined,
            }
          : undefined,
        clientForToken: (token) => createMastraClient(token, { baseUrl }),
        sessionIdleTimeoutMs: config.sessionIdleTimeout,
        shutdownGraceMs: config.shutdownGrace,
        onListening: (url) => output.stderr.write(formatLogLine('info', `listening on ${url}`)),
      });
    } else {
      await serveStdio(options);
    }
  } finally {
    refresher.stop();
    await tasks.close();
    restoreConsole();
  }
  return 0;
}
