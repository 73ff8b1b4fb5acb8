import type { MastraClient } from '@mastra/client-js';
import { AgentCatalogue } from './agents.js';
import type { Logger } from './log.js';

const FIRST_LOAD_WAIT_MS = 5_000;

/**
 * Loads the catalogue before the first client arrives, so its first `tools/list` is complete;
 * but never waits long: a client must get an answer even while Mastra is down.
 */
export async function openCatalogue(client: MastraClient, baseUrl: string, logger: Logger): Promise<AgentCatalogue> {
  const catalogue = new AgentCatalogue({ client });
  const first = catalogue.refresh().then(
    () => logger.info(`serving ${catalogue.tools.length} agents from ${baseUrl}`),
    (error: unknown) =>
      logger.error(`could not load the agents from the Mastra server at ${baseUrl}: ${reasonOf(error)}. Is Mastra running, and does it accept JWT_TOKEN?`),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([first, new Promise((resolve) => (timer = setTimeout(resolve, FIRST_LOAD_WAIT_MS)))]);
  clearTimeout(timer);
  return catalogue;
}

export function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
