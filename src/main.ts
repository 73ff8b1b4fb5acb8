import { openCatalogue } from './catalogue/open.js';
import { ConfigError, parseCommand } from './config.js';
import { helpText } from './help.js';
import { createLogger, formatLogLine, guardConsole, type LogFormat } from './log.js';
import { createMastraClient } from './mastra-client.js';
import { openRedisTasks } from './tasks/redis/redis-task-store.js';
import { TaskBoard } from './tasks/task-board.js';
import { serveHttp } from './transports/http.js';
import { serveStdio } from './transports/stdio.js';
import { VERSION } from './kernel/version.js';
import { catalogueSettings, frontSettings, httpSettings, redisSettings, refreshSettings, taskLimits } from './module-options.js';
import { requestStateSealer } from './protocol/modern/request-state.js';
import { observers, type BridgeObserver } from './kernel/observer.js';
import { mastraAnswers } from './kernel/mastra-answers.js';
import { callLogLines } from './calls/call-log.js';
import type { Catalogue } from './catalogue/catalogue.js';
import type { Config } from './config.js';
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
    output.stderr.write(formatLogLine('error', error.message, {}, requestedLogFormat(argv, env)));
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
  const logger = createLogger(config.logLevel, (line) => output.stderr.write(line), config.logFormat);
  for (const warning of command.warnings) logger.warn(warning);
  // Libraries print to the console behind the logger (client-js dumps a failed stream, prompt and all).
  const restoreConsole = guardConsole(logger);
  // The catalogue is known only once opened, and the metrics read it at each scrape.
  let opened: Catalogue | undefined;
  const metrics = config.metrics ? await openMetrics(config, () => opened) : undefined;
  const observer = observers(callLogLines(logger), mastraAnswers(logger, baseUrl), ...(metrics ? [metrics.observer] : []));
  const client = createMastraClient(config.serviceToken, { baseUrl, observer });
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
  opened = catalogue;
  const tasks = new TaskBoard(taskLimits(config), { shared: redis?.shared });
  // Counted in the tasks' Redis when there is one, so that replicas share each caller's limit.
  const rateLimiter =
    config.rateLimit &&
    (await openCallLimiter({
      rate: config.rateLimit,
      redis: redis?.connection,
      prefix: config.redisPrefix,
      logger,
      onRefused: (reason) => observer.refused(reason),
      onStoreDown: () => observer.unlimited(),
    }));
  const front = {
    catalogue,
    client,
    baseUrl,
    logger,
    tasks,
    requestStates: requestStateSealer(config.requestStateSecret),
    observer,
    tracing,
    ...frontSettings(config),
    ...(rateLimiter ? { rateLimiter } : {}),
  };
  const metricsPort = metrics && config.metricsPort !== undefined ? await metrics.serve({ host: config.host, port: config.metricsPort }) : undefined;
  if (metricsPort) logger.info(`metrics at ${metricsPort.url}`);
  try {
    if (config.transport === 'http') {
      await serveHttp({
        ...front,
        ...httpSettings(config),
        clientForToken: (token) => createMastraClient(token, { baseUrl, observer }),
        metricsEndpoint: metricsPort ? undefined : metrics?.endpoint,
        onListening: (url) => output.stderr.write(formatLogLine('info', `listening on ${url}`, {}, config.logFormat)),
      });
    } else {
      await serveStdio(front);
    }
  } catch (error) {
    // What ends the bridge (a port taken) is one line in the chosen format too.
    output.stderr.write(formatLogLine('error', error instanceof Error ? error.message : String(error), {}, config.logFormat));
    return 1;
  } finally {
    await metricsPort?.close();
    refresher.stop();
    await tasks.close();
    await tracing.shutdown();
    restoreConsole();
  }
  return 0;
}

/** The log format asked for, read apart from the other settings: a configuration error is one line in it too. */
function requestedLogFormat(argv: readonly string[], env: NodeJS.ProcessEnv): LogFormat {
  const flag = argv.findIndex((arg) => arg === '--log-format' || arg.startsWith('--log-format='));
  const value = flag < 0 ? env.MCP_LOG_FORMAT : argv[flag]!.includes('=') ? argv[flag]!.split('=')[1] : argv[flag + 1];
  return value === 'json' ? 'json' : 'text';
}

interface OpenedMetrics {
  observer: BridgeObserver;
  endpoint: NonNullable<Parameters<typeof serveHttp>[0]['metricsEndpoint']>;
  serve(at: { host: string; port: number }): Promise<{ url: string; close(): Promise<void> }>;
}

/** prom-client and the metrics are loaded only with --metrics: without it, start-up and every call stay as they were. */
async function openMetrics(config: Config, catalogue: () => Catalogue | undefined): Promise<OpenedMetrics> {
  const [{ createMetrics }, { metricsEndpoint, serveMetrics }] = await Promise.all([
    import('./operating/metrics.js'),
    import('./operating/metrics-endpoint.js'),
  ]);
  const { registry, observer } = createMetrics({
    networkTransport: config.transport === 'http' ? 'tcp' : 'pipe',
    catalogue: () => {
      const opened = catalogue();
      return { agents: opened?.tools.length ?? 0, workflows: opened?.workflows.length ?? 0, listedAt: opened?.listedAt };
    },
  });
  const endpoint = metricsEndpoint(registry, config.metricsToken);
  return { observer, endpoint, serve: (at) => serveMetrics(endpoint, at) };
}
