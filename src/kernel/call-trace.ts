import type { MastraClient } from '@mastra/client-js';

/**
 * One tools/call's trace, as the kinds and the call path see it. The caller's trace context (or, when
 * the bridge exports spans, its own span) always reaches Mastra: every request of the call carries
 * `traceparent`, and every run it starts or resumes carries `tracingOptions`, so Mastra's own trace of
 * the run joins the caller's.
 */
export interface CallTrace {
  /** The W3C trace id (32 hex digits), for the call's log line. */
  readonly traceId: string;
  /** `client` with `traceparent` (and `tracestate`) on each request; with export on, each request is a client span. */
  client(client: MastraClient): MastraClient;
  /**
   * Mastra's `tracingOptions` for the run request about to be sent: the run's parent is the caller's span,
   * or with export on, the client span of that request (opened here, and used by the next request of `client`).
   */
  runOptions(): TracingOptions;
  /** A span event (progress, a question for the person, a task's status); no message, answer or token in it. */
  event(name: string, attributes?: Record<string, string | number | boolean>): void;
  /** Ends the call's span; `errorType` when it failed (`tool_error` for an isError result, else a JSON-RPC code or `cancelled`). */
  end(errorType?: string): void;
}

/** What Mastra's agent and workflow routes take to start a run inside an outside trace. */
export interface TracingOptions {
  traceId: string;
  parentSpanId: string;
}

/** What a call's span is named and tagged with (MCP semantic conventions). */
export interface CallTraceStart {
  tool: string;
  /** `2025-11-25` or `2026-07-28`. */
  protocolVersion: string;
  transport: 'stdio' | 'http';
  /** The request's `_meta`, and its headers on HTTP. */
  meta?: Record<string, unknown>;
  header?: (name: string) => string | undefined;
}

/** Where calls get their traces: passing the caller's on, or exporting the bridge's own spans too. */
export interface Tracing {
  /** The call's trace; undefined when the caller sent no trace context and nothing is exported. */
  startCall(start: CallTraceStart): Promise<CallTrace | undefined>;
  /** Sends the spans still buffered (at shutdown). */
  shutdown(): Promise<void>;
}
