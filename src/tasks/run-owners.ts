/**
 * Who started each workflow run the bridge started, so that only that identity resumes or cancels
 * it through resume_<id>: Mastra itself lets any token that may use a workflow continue any of its
 * runs. A record holds the identity hash only, never a token.
 */
export interface RunOwners {
  /** Records (or renews) that `identity` started the run; a run recorded as another identity's stays theirs. Throws when it cannot be recorded. */
  claim(identity: string, workflowId: string, runId: string): Promise<void>;
  /** The identity that started the run: undefined for a run the bridge did not start, or whose record expired or was dropped. */
  ownerOf(workflowId: string, runId: string): Promise<string | undefined>;
}

/** Runs remembered per identity at most; the oldest are forgotten first, so one caller's runs never push out another's. */
export const MAX_RUNS_PER_IDENTITY = 10_000;

/** One key per run: ids are encoded, so that no workflow and run pair can be spelled as another. */
export const runKey = (workflowId: string, runId: string): string => `${encodeURIComponent(workflowId)}:${encodeURIComponent(runId)}`;

/** The records in this process: for one bridge, or every replica of which keeps its runs to itself. */
export class MemoryRunOwners implements RunOwners {
  /** Every record by run, oldest first: a renewed one moves to the end, so the expired ones are always at the front. */
  private readonly records = new Map<string, { identity: string; expiresAt: number }>();
  /** Each identity's runs, oldest first. */
  private readonly byIdentity = new Map<string, Set<string>>();

  constructor(private readonly ttlMs: number) {}

  async claim(identity: string, workflowId: string, runId: string): Promise<void> {
    const now = Date.now();
    this.forgetExpired(now);
    const key = runKey(workflowId, runId);
    const record = this.records.get(key);
    if (record && record.identity !== identity) return;
    this.forget(key);
    const held = this.byIdentity.get(identity);
    if (held && held.size >= MAX_RUNS_PER_IDENTITY) this.forget(held.values().next().value!);
    this.records.set(key, { identity, expiresAt: now + this.ttlMs });
    this.byIdentity.set(identity, (this.byIdentity.get(identity) ?? new Set<string>()).add(key));
  }

  async ownerOf(workflowId: string, runId: string): Promise<string | undefined> {
    const record = this.records.get(runKey(workflowId, runId));
    return record && record.expiresAt > Date.now() ? record.identity : undefined;
  }

  private forgetExpired(now: number): void {
    for (const [key, record] of this.records) {
      if (record.expiresAt > now) return;
      this.forget(key);
    }
  }

  private forget(key: string): void {
    const record = this.records.get(key);
    if (!record) return;
    this.records.delete(key);
    const runs = this.byIdentity.get(record.identity);
    runs?.delete(key);
    if (runs?.size === 0) this.byIdentity.delete(record.identity);
  }
}
