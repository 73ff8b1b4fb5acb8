import type { AgentCatalogue } from '../agents.js';

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

export interface Readiness {
  ready: boolean;
  agents: number;
  catalogueLoaded: boolean;
  mastraReachable: boolean;
}

/**
 * For /readyz: ready once the agents have been listed and Mastra answers. The Mastra URL is left
 * out of the answer: probes need no map of the network behind the bridge.
 */
export async function readiness(catalogue: AgentCatalogue, baseUrl: string): Promise<Readiness> {
  const mastraReachable = await reachable(baseUrl);
  return { ready: catalogue.loaded && mastraReachable, agents: catalogue.tools.length, catalogueLoaded: catalogue.loaded, mastraReachable };
}
