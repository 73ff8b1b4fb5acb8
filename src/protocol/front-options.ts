import type { MastraClient } from '@mastra/client-js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { ProgressOptions } from '../kernel/progress.js';
import type { Logger } from '../log.js';
import type { BridgeObserver } from '../kernel/observer.js';
import type { Tracing } from '../kernel/call-trace.js';
import type { TaskBoard } from '../tasks/task-board.js';
import type { RequestStateSealer } from './modern/request-state.js';

/** What both protocol fronts are built from: the same catalogue, client, bounds and person-in-the-loop rules. */
export interface FrontOptions {
  /** The agents and workflows to offer. */
  catalogue: Catalogue;
  /** The client the calls go through (service-level, or bound to the caller's token). */
  client: MastraClient;
  /** The Mastra URL, named in error messages. */
  baseUrl: string;
  logger?: Logger;
  /** Longest an agent or workflow run may take before it is aborted upstream; 0 means no limit (`--call-timeout`). */
  callTimeoutMs: number;
  /** Longest text of a result; longer is cut (`--max-result-chars`). */
  maxResultChars: number;
  /** Pacing of progress notifications (coalescing, heartbeat). */
  progress: ProgressOptions;
  /** Where tasks live, shared by every caller (limits, shutdown); its owner closes it. */
  tasks: TaskBoard;
  /** Approve every agent tool call without asking the person (`--auto-approve-tools`). */
  autoApproveTools: boolean;
  /** Let resume_<id> continue a run the bridge has no record of starting (`--resume-foreign-runs`). */
  resumeForeignRuns: boolean;
  /** How often the catalogue is re-listed (`--refresh-interval`, 0: never): how long a 2026-07-28 client may cache the tool list. */
  refreshIntervalMs: number;
  /** Seals 2026-07-28 `input_required` state (`MCP_REQUEST_STATE_SECRET`, or a key of this process). */
  requestStates: RequestStateSealer;
  /** Hears every finished call, refusal and task status (the per-call log line, metrics). Default: nobody. */
  observer?: BridgeObserver;
  /** Where calls get their traces (operating/tracing.ts); none: the caller's trace context is not read. */
  tracing?: Tracing;
}
