#!/usr/bin/env node
import { openCatalogue } from './bridge.js';
import { ConfigError, HELP, parseCommand } from './config.js';
import { createLogger, guardConsole } from './log.js';
import { mastraClient } from './mastra-client.js';
import { TaskBoard } from './task-board.js';
import { serveHttp } from './transports/http.js';
import { serveStdio } from './transports/stdio.js';
import { VERSION } from './version.js';

/** The whole program, with argv and env as inputs so it can be tested; returns the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let command;
  try {
    command = parseCommand(argv, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`mastra-agents-mcp: ${error.message}\n`);
    return 1;
  }
  if (command.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { config } = command;
  const logger = createLogger(config.logLevel);
  guardConsole(logger);
  const { catalogue, refresher } = await openCatalogue({
    client: mastraClient,
    baseUrl: config.baseUrl,
    logger,
    prefix: config.toolPrefix,
    filter: { include: config.include, exclude: config.exclude },
    intervalMs: config.refreshInterval,
    maxRetryDelayMs: config.retryMaxDelay,
  });
  const tasks = new TaskBoard({ ttlMaxMs: config.taskTtlMaxMs, maxRunningPerSession: config.maxTasksPerSession, maxResultBytesPerSession: config.taskResultsMaxPerSession, maxResultBytes: config.taskResultsMax });
  const options = { catalogue, client: mastraClient, baseUrl: config.baseUrl, logger, callTimeoutMs: config.callTimeoutMs, tasks };
  try {
    if (config.transport === 'http') {
      await serveHttp({
        ...options,
        ...config,
        sessionIdleTimeoutMs: config.sessionIdleTimeout,
        shutdownGraceMs: config.shutdownGrace,
        onListening: (url) => process.stderr.write(`mastra-agents-mcp: listening on ${url}\n`),
      });
    } else {
      await serveStdio(options);
    }
  } finally {
    refresher.stop();
    tasks.close();
  }
  return 0;
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`mastra-agents-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
