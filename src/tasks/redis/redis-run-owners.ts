import { MAX_RUNS_PER_IDENTITY, runKey, type RunOwners } from '../run-owners.js';
import type { RedisConnection } from './redis-connection.js';

/**
 * Who started each workflow run, in Redis: every replica knows whose a run is, whichever started
 * it. One round trip to record a run (when a workflow that can suspend starts) and one to read it
 * (on resume_<id>); plain calls of other tools never touch it.
 */
export class RedisRunOwners implements RunOwners {
  constructor(
    private readonly connection: RedisConnection,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  async claim(identity: string, workflowId: string, runId: string): Promise<void> {
    const key = runKey(workflowId, runId);
    await this.call(() =>
      this.connection.commands.runClaim(
        `${this.prefix}run:${key}`,
        `${this.prefix}runs:${identity}`,
        identity,
        key,
        this.ttlMs,
        Date.now(),
        MAX_RUNS_PER_IDENTITY,
        this.prefix,
      ),
    );
  }

  async ownerOf(workflowId: string, runId: string): Promise<string | undefined> {
    return (await this.call(() => this.connection.commands.get(`${this.prefix}run:${runKey(workflowId, runId)}`))) ?? undefined;
  }

  /** A failure names the store and says what to do; it never holds the URL's credentials. */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      const reason = this.connection.failureOf(error);
      throw new Error(`the record of who started each workflow run (Redis at ${this.connection.where}) failed: ${reason}. Try again in a few seconds.`);
    }
  }
}
