import type { Catalogue } from '../catalogue/catalogue.js';
import type { TaskStoreState } from '../tasks/task-store.js';

const PROBE_TIMEOUT_MS = 2_000;

/** Any HTTP answer (even 401) shows that Mastra is up; only a failed connection or a timeout does not. */
async function reachable(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(baseUrl, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: 'manual' });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

/** What needs the service token (JWT_TOKEN) and what does not; said in /readyz and at start-up. */
export interface IdentityPolicy {
  /** Whether JWT_TOKEN is set. */
  serviceToken: boolean;
  /** The tools a caller with a token sees: the service-level listing, or its own listing. */
  catalogue: 'service' | 'per-caller';
  /** Whether sessions without a token are served (with JWT_TOKEN when set). */
  tokenless: 'allowed' | 'refused';
}

/** The start-up line of an HTTP bridge: who is checked, which listing each caller sees, what JWT_TOKEN is for. */
export function describePolicy({ serviceToken, catalogue, tokenless }: IdentityPolicy, perUserFlag: boolean): string {
  const tools =
    catalogue === 'service'
      ? 'they see the service-level listing (made with JWT_TOKEN)'
      : `each sees its own listing (${perUserFlag ? '--per-user-catalogue' : 'JWT_TOKEN is not set'})`;
  const without =
    tokenless === 'refused'
      ? 'sessions without a token are refused'
      : `sessions without a token ${serviceToken ? 'list and call with JWT_TOKEN' : 'list and call Mastra with no token (JWT_TOKEN is not set)'}`;
  return `tokens: each session's Mastra token is checked with Mastra before anything is served, and its calls use it; ${tools}; ${without}`;
}

export interface Readiness extends IdentityPolicy {
  ready: boolean;
  /** Tools of the service-level listing (what token-less sessions, and every caller when `catalogue` is 'service', see). */
  agents: number;
  /** Workflow tools of that listing. */
  workflows: number;
  catalogueLoaded: boolean;
  mastraReachable: boolean;
  /**
   * Where tasks live, and whether Redis answers. Redis down does not make a replica unready: plain
   * calls still work there, and every replica shares the same Redis, so taking them out would help nobody.
   */
  taskStore: TaskStoreState;
}

/**
 * For /readyz: ready once Mastra answers and the listing callers see can be made: the service-level
 * one loaded, or each caller's own. The Mastra URL is left out: probes need no map of the network.
 */
export async function readiness(
  catalogue: Catalogue,
  baseUrl: string,
  policy: IdentityPolicy,
  taskStore: TaskStoreState = { kind: 'memory' },
): Promise<Readiness> {
  const mastraReachable = await reachable(baseUrl);
  const listable = catalogue.loaded || policy.catalogue === 'per-caller';
  return {
    ready: listable && mastraReachable,
    agents: catalogue.tools.length,
    workflows: catalogue.workflows.length,
    catalogueLoaded: catalogue.loaded,
    mastraReachable,
    ...policy,
    taskStore,
  };
}
