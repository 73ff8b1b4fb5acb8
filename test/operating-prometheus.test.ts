import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsUrl } from './support/bin.js';
import { startBridge, type Bridge, type ClientBridge } from './support/bridge.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';
import { startPrometheus, type PrometheusServer } from './support/prometheus.js';
import { havePrograms } from './support/system-programs.js';
import { waitFor } from './support/waiting.js';

const SECRET = 'prometheus-test-secret';
const METRICS_TOKEN = 'prometheus-scrape-token-8765';
const service = signJwt(SECRET, { sub: 'prometheus-service' });
const caller = signJwt(SECRET, { sub: 'prometheus-carol' });

const enabled = havePrograms({ prometheus: 'prometheus' });

let stack: Stack;
let http: Bridge;
let stdio: ClientBridge;
let prometheus: PrometheusServer;
beforeAll(async () => {
  if (!enabled) return;
  stack = await startStack({ jwtSecret: SECRET });
  const env = { JWT_TOKEN: service, MCP_METRICS_TOKEN: METRICS_TOKEN };
  http = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', bin: true, client: 'none', args: ['--metrics'], env });
  stdio = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', args: ['--metrics', '--metrics-port', '0'], env });
  const httpAt = new URL(http.url).host;
  const stdioAt = (await metricsUrl(stdio)).host;
  prometheus = await startPrometheus([
    { hostPort: httpAt, bearerToken: METRICS_TOKEN },
    { hostPort: stdioAt, bearerToken: METRICS_TOKEN },
    // The same endpoint scraped with a wrong token: Prometheus must see it refused.
    { hostPort: httpAt, bearerToken: 'not-the-metrics-token' },
  ]);
}, 120_000);
afterAll(async () => {
  await stdio?.close();
  await http?.close();
  await prometheus?.stop();
  await stack?.close();
});

/** Waits until Prometheus has scraped a value that satisfies `check`, then returns it. */
const scraped = (promql: string, check: (value: number | undefined) => boolean) => {
  let last: number | undefined;
  return waitFor(
    `${promql} in Prometheus`,
    async () => {
      last = await prometheus.query(promql);
      return check(last) && { value: last };
    },
    60_000,
  ).then(
    ({ value }) => value,
    (error: Error) => {
      throw new Error(`${error.message} (last value: ${last})`);
    },
  );
};

describe.skipIf(!enabled)('a real Prometheus scraping the bridge', () => {
  it('reads back the calls of both eras, over HTTP and stdio, and the failures, through its query API', async () => {
    const { client, close } = await http.connect({ token: caller });
    await client.callTool({ name: 'ask_echo', arguments: { message: 'one' } });
    await client.callTool({ name: 'ask_echo', arguments: { message: 'two' } });
    await client.callTool({ name: 'ask_broken', arguments: { message: 'three' } });
    await close();
    const modern = await http.connect({ token: caller, era: 'modern' });
    await modern.client.callTool({ name: 'ask_echo', arguments: { message: 'four' } });
    await modern.close();
    await stdio.client.callTool({ name: 'ask_echo', arguments: { message: 'five' } });

    const calls = 'mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call",gen_ai_tool_name="ask_echo"';
    expect(await scraped(`sum(${calls},network_transport="tcp",mcp_protocol_version="2025-11-25"})`, (v) => v === 2)).toBe(2);
    expect(await scraped(`sum(${calls},network_transport="tcp",mcp_protocol_version="2026-07-28"})`, (v) => v === 1)).toBe(1);
    expect(await scraped(`sum(${calls},network_transport="pipe"})`, (v) => v === 1)).toBe(1);
    expect(await scraped('sum(mcp_server_operation_duration_seconds_count{error_type="upstream_error",gen_ai_tool_name="ask_broken"})', (v) => v === 1)).toBe(
      1,
    );
    // The README's alert expressions evaluate over what was scraped: a rate needs a call after the first scrape.
    const again = await http.connect({ token: caller });
    await again.client.callTool({ name: 'ask_echo', arguments: { message: 'six' } });
    await again.close();
    expect(
      await scraped('histogram_quantile(0.95, sum by (le) (rate(mcp_server_operation_duration_seconds_bucket[1m])))', (v) => v !== undefined && v > 0),
    ).toBeGreaterThan(0);
    const errorRate = 'sum(rate(mcp_server_operation_duration_seconds_count{error_type!=""}[5m])) / sum(rate(mcp_server_operation_duration_seconds_count[5m]))';
    expect(await scraped(errorRate, (v) => v !== undefined && Number.isFinite(v))).toBeGreaterThanOrEqual(0);
    expect(
      await scraped('sum(mastra_mcp_mastra_request_duration_seconds_count{route="agents/generate",status="200"})', (v) => (v ?? 0) >= 4),
    ).toBeGreaterThanOrEqual(4);
    expect(await scraped('mastra_mcp_catalogue_tools{kind="agent",job="bridge-0"}', (v) => (v ?? 0) > 0)).toBeGreaterThan(0);

    const targets = await prometheus.targets();
    expect(targets.filter((t) => t.health === 'up')).toHaveLength(2);
    const refused = await waitFor('the wrong token to be refused', async () => (await prometheus.targets()).find((t) => t.health === 'down'), 30_000);
    expect(refused.lastError).toContain('401');
  }, 180_000);
});
