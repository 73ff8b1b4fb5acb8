import type { RunOwners } from '../tasks/run-owners.js';

/** The runs one caller may continue: those it started, and with `allowForeign` those the bridge has no record of. */
export interface CallerRuns {
  owners: RunOwners;
  /** `Caller.identity`: a hash, never a token. */
  identity: string;
  /** `--resume-foreign-runs`: a run the bridge did not start (Mastra's Studio, another app) may be continued by anyone. */
  allowForeign: boolean;
}

/**
 * Whether the caller may resume or cancel the run: `own` for a run it started, `foreign` for an
 * unrecorded one the operator lets anyone continue, `refused` otherwise. Another identity's run and
 * an unknown one are refused alike, so the answer never tells them apart.
 */
export async function accessTo(runs: CallerRuns, workflowId: string, runId: string): Promise<'own' | 'foreign' | 'refused'> {
  const owner = await runs.owners.ownerOf(workflowId, runId);
  if (owner === runs.identity) return 'own';
  return owner === undefined && runs.allowForeign ? 'foreign' : 'refused';
}
