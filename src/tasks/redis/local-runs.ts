/**
 * The agent runs of this replica's tasks. A run stays on the replica that started it; the others
 * reach it only through Redis: a cancel is published, and the lease this replica renews on each of
 * its tasks (lease-scripts.ts) tells them it still runs it. Each renewal also reads their statuses,
 * so a cancel published while this replica was cut off from Redis still stops the run, as does a
 * task Redis lost: nobody could collect what the run would answer.
 */
export class LocalRuns {
  private readonly runs = new Map<string, { controller: AbortController; owner: object; expiry: NodeJS.Timeout }>();

  /** Registers a run started by `owner` (a session's store); its signal aborts on cancel, on TTL and on close. */
  start(taskId: string, ttlMs: number, owner: object): AbortSignal {
    const controller = new AbortController();
    // A task past its TTL is gone from Redis: nobody could collect what the run would answer.
    const expiry = setTimeout(() => this.abort(taskId, 'The task outlived its TTL'), ttlMs);
    expiry.unref();
    this.runs.set(taskId, { controller, owner, expiry });
    return controller.signal;
  }

  /** The tasks whose runs go on here, for the lease renewal. */
  ids(): string[] {
    return [...this.runs.keys()];
  }

  /** What a lease renewal read of `taskIds` (null: gone): a run whose task no longer waits for it stops. */
  renewed(taskIds: string[], statuses: (string | null)[]): void {
    statuses.forEach((status, i) => {
      if (status !== 'working' && status !== 'input_required')
        this.abort(taskIds[i]!, status ? `The task is ${status}` : 'The task is gone from the task store');
    });
  }

  signalOf(taskId: string): AbortSignal | undefined {
    return this.runs.get(taskId)?.controller.signal;
  }

  /** Stops the run upstream (its Mastra request is aborted) and forgets it. */
  abort(taskId: string, reason: string): void {
    const run = this.runs.get(taskId);
    if (!run) return;
    this.end(taskId);
    run.controller.abort(new DOMException(reason, 'AbortError'));
  }

  /** The run is over (its result stored, or not). */
  end(taskId: string): void {
    const run = this.runs.get(taskId);
    if (!run) return;
    clearTimeout(run.expiry);
    this.runs.delete(taskId);
  }

  ownerOf(taskId: string): object | undefined {
    return this.runs.get(taskId)?.owner;
  }

  countOf(owner: object): number {
    let count = 0;
    for (const run of this.runs.values()) if (run.owner === owner) count++;
    return count;
  }

  abortAll(reason: string): void {
    for (const taskId of this.ids()) this.abort(taskId, reason);
  }
}
