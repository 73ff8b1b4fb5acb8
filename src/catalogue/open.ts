import type { MastraClient } from '@mastra/client-js';
import type { AgentFilter } from './agent-filter.js';
import { Catalogue } from './catalogue.js';
import { keepCatalogueFresh, type CatalogueRefresher, type RefreshOptions } from './refresh.js';
import type { Logger } from '../log.js';

const FIRST_LOAD_WAIT_MS = 5_000;

export interface OpenCatalogueOptions extends Omit<RefreshOptions, 'catalogue'> {
  /** The service-level client used for listing. */
  client: MastraClient;
  logger: Logger;
  /** Tool name prefix. Default `ask_`. */
  prefix?: string;
  /** Workflow tool name prefix. Default `run_`. */
  workflowPrefix?: string;
  /** Which agents to offer. Default: all. */
  filter?: AgentFilter;
  /** Describe an agent without a description by an excerpt of its instructions. Default: off. */
  describeFromInstructions?: boolean;
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
export async function openCatalogue({ client, prefix, workflowPrefix, filter, describeFromInstructions, ...refresh }: OpenCatalogueOptions): Promise<OpenedCatalogue> {
  const catalogue = new Catalogue({ client, prefix, workflowPrefix, filter, describeFromInstructions });
  const refresher = keepCatalogueFresh({ catalogue, ...refresh });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([refresher.firstAttempt, new Promise((resolve) => (timer = setTimeout(resolve, FIRST_LOAD_WAIT_MS)))]);
  clearTimeout(timer);
  return { catalogue, refresher };
}
