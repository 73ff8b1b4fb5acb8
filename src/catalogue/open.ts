import { Catalogue, type CatalogueOptions } from './catalogue.js';
import { keepCatalogueFresh, type CatalogueRefresher, type RefreshOptions } from './refresh.js';
import type { Logger } from '../log.js';

const FIRST_LOAD_WAIT_MS = 5_000;

/** The service-level catalogue (its client lists), and how it is kept fresh. */
export interface OpenCatalogueOptions extends Omit<RefreshOptions, 'catalogue'>, Omit<CatalogueOptions, 'listWorkflows' | 'askMemory'> {
  logger: Logger;
}

export interface OpenedCatalogue {
  catalogue: Catalogue;
  /** Stop on shutdown: it ends the refresh timers. */
  refresher: CatalogueRefresher;
}

/**
 * Loads the catalogue before the first client arrives, so its first `tools/list` is complete;
 * but never waits long: a client must get an answer even while Mastra is down. From then on the
 * catalogue follows Mastra (see refresh.ts).
 */
export async function openCatalogue({
  client,
  toolPrefix,
  workflowPrefix,
  maxToolName,
  filter,
  describeFromInstructions,
  ...refresh
}: OpenCatalogueOptions): Promise<OpenedCatalogue> {
  const catalogue = new Catalogue({ client, toolPrefix, workflowPrefix, maxToolName, filter, describeFromInstructions });
  const refresher = keepCatalogueFresh({ catalogue, ...refresh });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([refresher.firstAttempt, new Promise((resolve) => (timer = setTimeout(resolve, FIRST_LOAD_WAIT_MS)))]);
  clearTimeout(timer);
  return { catalogue, refresher };
}
