import type { Catalogue, RefreshResult } from './catalogue.js';
import { listShort } from './agent-filter.js';
import { upstreamReason, wrongUpstream } from '../kernel/errors.js';
import { formatDuration } from '../kernel/duration.js';
import { silentLogger, type Logger } from '../log.js';

export interface RefreshOptions {
  catalogue: Catalogue;
  /** The Mastra URL, named in log lines. */
  baseUrl: string;
  logger?: Logger;
  /** Re-list this often once the agents are loaded; 0 disables (`--refresh-interval`). */
  refreshIntervalMs: number;
  /** Wait before the first retry after a failed listing; it doubles on each failure. */
  firstRetryDelayMs: number;
  /** The longest wait between retries (`--retry-max-delay`). */
  retryMaxDelayMs: number;
  /** A listing that takes longer counts as failed, so a hung Mastra cannot stall the loop. */
  listTimeoutMs: number;
  /** The other replicas (through Redis): an agent one of them finds gone is re-listed here too. Default: none. */
  peers?: CataloguePeers;
  /** Whether the listing carries a service token (JWT_TOKEN): a refusal then asks whether Mastra accepts it, else says none is set. */
  serviceToken: boolean;
  /** Callers bring tokens of their own (HTTP without JWT_TOKEN): Mastra refusing this listing is news (info), not an error. */
  listingOptional: boolean;
}

/** Other replicas following the same Mastra: what one learns about a gone agent, all hear. */
export interface CataloguePeers {
  announceGone(agentId: string): void;
  /** Hears the agents other replicas found gone; returns how to stop hearing. */
  onGone(listener: (agentId: string) => void): () => void;
}

export interface CatalogueRefresher {
  /** Settles when the first listing has succeeded or failed. */
  readonly firstAttempt: Promise<void>;
  /** Re-lists now; a call while one listing runs queues one more after it. */
  refreshNow(): Promise<void>;
  /** Stops every timer and stops listening to the catalogue. */
  stop(): void;
}

/** "1 agent", "10 agents". */
const counted = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

const isRefusal = (error: unknown) => [401, 403].includes((error as { status?: unknown } | undefined)?.status as number);

/** Only a refusal is about the token; a socket or DNS failure is about where Mastra is. */
function hintFor(error: unknown, serviceToken: boolean): string {
  const status = (error as { status?: unknown } | undefined)?.status;
  if (isRefusal(error))
    return serviceToken ? 'Mastra refused the listing: does it accept JWT_TOKEN?' : 'Mastra requires a token and none is set: set JWT_TOKEN.';
  if (typeof status === 'number') return 'Is MASTRA_BASE_URL the address of the Mastra server?';
  return 'Is Mastra running, and is MASTRA_BASE_URL its address?';
}

class ListTimeout extends Error {}

/** Lists with a deadline; the aborted listing cannot overwrite the catalogue when it ends late. */
export async function refreshWithin(catalogue: Catalogue, timeoutMs: number): Promise<RefreshResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new ListTimeout(`no answer to GET /agents within ${formatDuration(timeoutMs)}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([catalogue.refresh(controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Keeps the catalogue in step with Mastra: lists now, retries a failed listing with capped
 * exponential backoff, re-lists every `refreshIntervalMs` and at once when a call finds its agent gone.
 * A failed listing keeps the tools the catalogue had: a Mastra restart should not make every
 * client forget its tools, and calls during the outage say that Mastra cannot be reached.
 * Timers are unref'd, so they never keep the process alive on their own.
 */
export function keepCatalogueFresh(options: RefreshOptions): CatalogueRefresher {
  const { catalogue, baseUrl, logger = silentLogger } = options;
  const { refreshIntervalMs, retryMaxDelayMs, listTimeoutMs } = options;
  const firstRetryDelayMs = Math.min(options.firstRetryDelayMs, retryMaxDelayMs);

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let queued = false;
  let stopped = false;
  let failures = 0;
  let lastProblem = '';
  let lastWarnings = new Set<string>();

  const schedule = (ms: number) => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => void refreshNow(), ms);
    timer.unref();
  };

  const onSuccess = (result: RefreshResult, before: readonly string[], wasLoaded: boolean) => {
    const count = catalogue.tools.length;
    const now = catalogue.tools.map((tool) => tool.toolName);
    const [nowSet, beforeSet] = [new Set(now), new Set(before)];
    const added = now.filter((name) => !beforeSet.has(name));
    const removed = before.filter((name) => !nowSet.has(name));
    const what = [added.length && `added ${listShort(added, 10)}`, removed.length && `removed ${listShort(removed, 10)}`].filter(Boolean).join('; ');
    // After an outage too: what changed while Mastra could not be listed is news.
    const workflows = catalogue.workflows.length ? ` and ${counted(catalogue.workflows.length, 'workflow')}` : '';
    if (!wasLoaded) logger.info(`serving ${counted(count, 'agent')}${workflows} from ${baseUrl}`);
    else if (result.changed)
      logger.info(
        `the agents at ${baseUrl} changed${failures > 0 ? ' while it could not be listed' : ''}: serving ${counted(count, 'agent')} (${what || 'descriptions updated'})`,
      );
    else if (failures > 0) logger.info(`the Mastra server at ${baseUrl} answers again: serving the same ${counted(count, 'agent')}`);
    else logger.debug(`re-listed the agents at ${baseUrl}: no change`);
    failures = 0;
    lastProblem = '';
    catalogue.listingProblem = undefined;

    const warnings = [
      result.unmatchedIncludes.length
        ? `the include filter ${result.unmatchedIncludes.map((g) => `"${g}"`).join(', ')} matches no agent${result.listedWorkflows.length ? ' or workflow' : ''} at ${baseUrl}; the agents there are: ${listShort(result.listed)}` +
          (result.listedWorkflows.length ? `; the workflows: ${listShort(result.listedWorkflows)}` : '')
        : '',
      ...result.leftOut
        .filter((left) => !left.byFilter)
        .map(({ kind, id, reason }) => `the ${kind} ${JSON.stringify(id)} at ${baseUrl} is not offered: ${reason}`),
      result.workflowsRefused
        ? `the workflows at ${baseUrl} are not offered: Mastra refused to list them (${result.workflowsRefused}); may the token list workflows?`
        : '',
    ].filter(Boolean);
    for (const warning of warnings) if (!lastWarnings.has(warning)) logger.warn(warning);
    lastWarnings = new Set(warnings);
    if (refreshIntervalMs > 0) schedule(refreshIntervalMs);
  };

  const onFailure = (error: unknown) => {
    failures += 1;
    const delay = Math.min(firstRetryDelayMs * 2 ** (failures - 1), retryMaxDelayMs);
    const problem = upstreamReason(error);
    // A MASTRA_BASE_URL that names something else than Mastra's API says what to do instead.
    const hint = wrongUpstream(error, baseUrl) ?? hintFor(error, options.serviceToken);
    // A socket, DNS or TLS failure, or no answer at all, is the README's "Cannot reach"; an answer is Mastra's, or another's.
    const answered = typeof (error as { status?: unknown } | undefined)?.status === 'number' || error instanceof SyntaxError;
    catalogue.listingProblem = answered
      ? `The Mastra server at ${baseUrl} could not be listed (${problem}). ${hint}`
      : `Cannot reach the Mastra server at ${baseUrl} (${problem}). ${hint}`;
    const kept = catalogue.loaded ? `keeping the ${counted(catalogue.tools.length, 'tool')} it had` : 'no tools until it answers';
    if (problem !== lastProblem && options.listingOptional && isRefusal(error))
      logger.info(
        `the Mastra server at ${baseUrl} requires a token to list its agents, and JWT_TOKEN is not set: each caller that brings a token sees the agents its token lists; callers without one see none (${problem}).`,
      );
    else if (problem !== lastProblem)
      logger.error(
        `could not load the agents from the Mastra server at ${baseUrl}: ${problem}. ${hint} ` +
          `${delay < retryMaxDelayMs ? `Retrying in ${formatDuration(delay)}, then less often (up to every ${formatDuration(retryMaxDelayMs)})` : `Retrying every ${formatDuration(delay)}`}; ${kept}.`,
      );
    else logger.debug(`still cannot list the agents at ${baseUrl} (${problem}); retrying in ${formatDuration(delay)}`);
    lastProblem = problem;
    schedule(delay);
  };

  const attempt = async () => {
    const before = catalogue.tools.map((tool) => tool.toolName);
    const wasLoaded = catalogue.loaded;
    try {
      const result = await refreshWithin(catalogue, listTimeoutMs);
      if (!stopped) onSuccess(result, before, wasLoaded);
    } catch (error) {
      if (!stopped) onFailure(error);
    }
  };

  function refreshNow(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      queued = true;
      return running;
    }
    clearTimeout(timer);
    running = attempt().finally(() => {
      running = undefined;
      if (queued) {
        queued = false;
        void refreshNow();
      }
    });
    return running;
  }

  const onStale = (agentId: string) => {
    logger.info(`agent "${agentId}" is gone from ${baseUrl}; re-listing the agents now`);
    options.peers?.announceGone(agentId);
    void refreshNow();
  };
  catalogue.on('stale', onStale);
  const stopHearing = options.peers?.onGone((agentId) => {
    logger.info(`another replica found agent "${agentId}" gone from ${baseUrl}; re-listing the agents now`);
    void refreshNow();
  });

  return {
    firstAttempt: refreshNow(),
    refreshNow,
    stop() {
      stopped = true;
      clearTimeout(timer);
      catalogue.off('stale', onStale);
      stopHearing?.();
    },
  };
}
