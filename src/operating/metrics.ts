import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BridgeObserver, RefusalReason } from '../kernel/observer.js';

/** The OpenTelemetry MCP semantic conventions' buckets for operation durations, in seconds. */
const OPERATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const MASTRA_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const REFUSALS: RefusalReason[] = ['token_refused', 'rate_limit', 'session_cap', 'body_too_large', 'failed_checks'];

/** What the catalogue gauges read at each scrape: the service-level listing. */
export interface CatalogueReading {
  agents: number;
  workflows: number;
  /** When a listing last succeeded (ms since the epoch). */
  listedAt: number | undefined;
}

export interface MetricsOptions {
  /** `network_transport` of every operation: `pipe` (stdio) or `tcp` (HTTP), per the OpenTelemetry conventions. */
  networkTransport: 'pipe' | 'tcp';
  catalogue: () => CatalogueReading;
}

export interface BridgeMetrics {
  registry: Registry;
  observer: BridgeObserver;
}

/**
 * The bridge's Prometheus metrics (`--metrics`), loaded only when metrics are on. Labels have bounded
 * values: tool names (from the catalogue), methods, eras, outcomes, route kinds, statuses; never an
 * identity, a token, a message or an answer.
 */
export function createMetrics({ networkTransport, catalogue }: MetricsOptions): BridgeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operations = new Histogram({
    name: 'mcp_server_operation_duration_seconds',
    help: 'MCP requests the bridge served (tools/call; a task is counted in mastra_mcp_tasks_total), by tool, era and failure',
    labelNames: ['mcp_method_name', 'gen_ai_tool_name', 'error_type', 'mcp_protocol_version', 'network_transport'],
    buckets: OPERATION_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({ name: 'mastra_mcp_calls_in_flight', help: 'tools/call requests and task runs running now', registers: [registry] });
  const sessions = new Gauge({ name: 'mastra_mcp_open_sessions', help: 'open MCP 2025-11-25 sessions (HTTP)', registers: [registry] });
  const listens = new Gauge({ name: 'mastra_mcp_open_listen_streams', help: 'open MCP 2026-07-28 subscriptions/listen streams (HTTP)', registers: [registry] });
  const tasks = new Counter({
    name: 'mastra_mcp_tasks_total',
    help: 'tasks that reached each status (working: created)',
    labelNames: ['status'],
    registers: [registry],
  });
  const unlimitedCalls = new Counter({
    name: 'mastra_mcp_rate_limit_unchecked_total',
    help: 'calls let through without counting them against --rate-limit, because its store (Redis) could not be reached',
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'mastra_mcp_refusals_total',
    help: 'requests refused before anything ran, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  for (const reason of REFUSALS) refusals.inc({ reason }, 0);
  const mastra = new Histogram({
    name: 'mastra_mcp_mastra_request_duration_seconds',
    help: "the bridge's requests to Mastra, until the answer's headers, by route kind and HTTP status (unreachable: no answer)",
    labelNames: ['route', 'status'],
    buckets: MASTRA_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'mastra_mcp_catalogue_tools',
    help: 'agents and workflows the service-level listing offers',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const { agents, workflows } = catalogue();
      this.set({ kind: 'agent' }, agents);
      this.set({ kind: 'workflow' }, workflows);
    },
  });
  new Gauge({
    name: 'mastra_mcp_catalogue_last_success_timestamp_seconds',
    help: 'when the service-level listing last succeeded (0: never)',
    registers: [registry],
    collect() {
      this.set((catalogue().listedAt ?? 0) / 1000);
    },
  });
  const observer: BridgeObserver = {
    callStarted: () => inFlight.inc(),
    callFinished(call) {
      inFlight.dec();
      // A task's run is not an MCP request: the request that made it answered at once.
      if (call.task) return;
      operations.observe(
        {
          mcp_method_name: 'tools/call',
          gen_ai_tool_name: call.tool,
          ...(call.errorType ? { error_type: call.errorType } : {}),
          mcp_protocol_version: call.era,
          network_transport: networkTransport,
        },
        call.durationMs / 1000,
      );
    },
    refused: (reason) => refusals.inc({ reason }),
    unlimited: () => unlimitedCalls.inc(),
    mastraRequest: ({ route, status, seconds }) => mastra.observe({ route, status: String(status) }, seconds),
    taskStatus: (status) => tasks.inc({ status }),
    streamOpened(kind) {
      const gauge = kind === 'session' ? sessions : listens;
      gauge.inc();
      let open = true;
      return () => {
        if (open) gauge.dec();
        open = false;
      };
    },
  };
  return { registry, observer };
}
