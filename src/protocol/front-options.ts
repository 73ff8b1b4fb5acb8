import type { MastraClient } from '@mastra/client-js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { ProgressOptions } from '../kernel/progress.js';
import type { Logger } from '../log.js';
import type { TaskBoard } from '../tasks/task-board.js';

/** What both protocol fronts are built from: the same catalogue, client, bounds and person-in-the-loop rules. */
export interface FrontOptions {
  /** The agents and workflows to offer. */
  catalogue: Catalogue;
  /** The client the calls go through (service-level, or bound to the caller's token). */
  client: MastraClient;
  /** The Mastra URL, named in error messages. */
  baseUrl: string;
  logger?: Logger;
  /** Longest an agent or workflow run may take before it is aborted upstream; 0 means no limit. */
  callTimeoutMs?: number;
  /** Pacing of progress notifications (coalescing, heartbeat). */
  progress?: ProgressOptions;
  /** Where tasks live, shared by every caller (limits, shutdown). */
  tasks?: TaskBoard;
  /** Approve every agent tool call without asking the person (`--auto-approve-tools`). */
  autoApproveTools?: boolean;
  /** Let resume_<id> continue a run the bridge has no record of starting (`--resume-foreign-runs`). */
  resumeForeignRuns?: boolean;
}
