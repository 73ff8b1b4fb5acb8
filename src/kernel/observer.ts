/**
 * What the bridge tells whoever watches it run (the per-call log line, the Mastra-answers warning,
 * metrics): one event per finished call, refusal or Mastra request. Each layer reports here and knows
 * nothing of who listens; main.ts decides. The events carry no token, message, answer or prompt.
 */

/** The two protocol eras, as `mcp_protocol_version` and the log line name them. */
export type Era = '2025-11-25' | '2026-07-28';

/** How a call ended; `input_required` is a 2026-07-28 round that ends by asking the person. */
export type CallOutcome = 'ok' | 'is_error' | 'jsonrpc_error' | 'cancelled' | 'timed_out' | 'input_required';

export interface FinishedCall {
  /** The tool's name as the client called it (names come from the catalogue: bounded). */
  tool: string;
  era: Era;
  /** A hash prefix of who called ('service' for token-less callers); never a token. */
  identity: string;
  /** Whether the call ran as a task (the line comes when the task ends). */
  task: boolean;
  outcome: CallOutcome;
  /** A word from a fixed set for a failure: the kind of an isError result, or the JSON-RPC error code. */
  errorType?: string;
  durationMs: number;
  /** The W3C trace id of the call, when the caller sent one. */
  traceId?: string;
}

/** Why an HTTP request (or stdio message) was refused before anything ran. */
export type RefusalReason = 'token_refused' | 'rate_limit' | 'session_cap' | 'body_too_large' | 'failed_checks';

export interface MastraRequest {
  /** `agents/generate`, `workflows/create-run`, `agents/list`: the route's kind, never an id. */
  route: string;
  /** The HTTP status, or `unreachable` when no answer came (aborted requests are not reported). */
  status: number | 'unreachable';
  seconds: number;
  /** Why no answer came (the socket's or DNS's words), for the log only. */
  reason?: string;
}

/** A task reached this status (`working` when created). */
export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export interface BridgeObserver {
  callStarted(): void;
  callFinished(call: FinishedCall): void;
  refused(reason: RefusalReason): void;
  mastraRequest(request: MastraRequest): void;
  taskStatus(status: TaskStatus): void;
  /** A 2025 session or a 2026 listen stream opened; the function closes it. */
  streamOpened(kind: 'session' | 'listen'): () => void;
  /** A call let through without counting it against --rate-limit: the limit's store (Redis) could not be reached. */
  unlimited(): void;
}

const nothing = () => {};

export const noObserver: BridgeObserver = {
  callStarted: nothing,
  callFinished: nothing,
  refused: nothing,
  mastraRequest: nothing,
  taskStatus: nothing,
  streamOpened: () => nothing,
  unlimited: nothing,
};

/** Several observers as one; each hears every event, the parts it does not implement are skipped. */
export function observers(...parts: Partial<BridgeObserver>[]): BridgeObserver {
  const all = <K extends keyof BridgeObserver>(key: K) => parts.flatMap((part) => (part[key] ? [part[key].bind(part)] : [])) as BridgeObserver[K][];
  const [started, finished, refused, requests, tasks, streams, unlimited] = [
    all('callStarted'),
    all('callFinished'),
    all('refused'),
    all('mastraRequest'),
    all('taskStatus'),
    all('streamOpened'),
    all('unlimited'),
  ];
  return {
    callStarted: () => {
      for (const hear of started) hear();
    },
    callFinished: (call) => {
      for (const hear of finished) hear(call);
    },
    refused: (reason) => {
      for (const hear of refused) hear(reason);
    },
    mastraRequest: (request) => {
      for (const hear of requests) hear(request);
    },
    taskStatus: (status) => {
      for (const hear of tasks) hear(status);
    },
    streamOpened: (kind) => {
      const closes = streams.map((open) => open(kind));
      return () => {
        for (const close of closes) close();
      };
    },
    unlimited: () => {
      for (const hear of unlimited) hear();
    },
  };
}
