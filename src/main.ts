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
import { catalogueSettings, frontSettings, httpSettings, redisSettings, refreshSettings, taskLimits } from './module-options.js';
import { requestStateSealer } from './protocol/modern/request-state.js';
import { openTracing } from './operating/tracing.js';
import { openCallLimiter } from './operating/rate-limit.js';

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
  let command: ReturnType<typeof parseCommand>;
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
  // The OpenTelemetry SDK is loaded only when the OTEL_* variables ask for export.
  const tracing = await openTracing(env, logger);
  // Opened first, so that the catalogue hears the other replicas from its first listing on.
  const redisOptions = redisSettings(config);
  const redis = redisOptions && openRedisTasks({ ...redisOptions, logger });
  const { catalogue, refresher } = await openCatalogue({
    client,
    baseUrl,
    logger,
    ...catalogueSettings(config),
    ...refreshSettings(config),
    peers: redis?.peers,
  });
  const tasks = new TaskBoard(taskLimits(config), { shared: redis?.shared });
  // Counted in the tasks' Redis when there is one, so that replicas share each caller's limit.
  const rateLimiter = config.rateLimit && (await openCallLimiter({ rate: config.rateLimit, redis: redis?.connection, prefix: config.redisPrefix, logger }));
  const front = {
    catalogue,
    client,
    baseUrl,
    logger,
    tasks,
    requestStates: requestStateSealer(config.requestStateSecret),
    tracing,
    ...frontSettings(config),
    ...(rateLimiter ? { rateLimiter } : {}),
  };
  try {
    if (config.transport === 'http') {
      await serveHttp({
        ...front,
        ...httpSettings(config),
        clientForToken: (token) => createMastraClient(token, { baseUrl }),
        onListening: (url) => output.stderr.write(formatLogLine('info', `listening on ${url}`)),
      });
    } else {
      await serveStdio(front);
    }
  } finally {
    refresher.stop();
    await tasks.close();
    await tracing.shutdown();
    restoreConsole();
  }
  return 0;
}
