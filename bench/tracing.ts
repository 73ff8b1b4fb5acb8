import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientFor } from '../test/support/mastra.js';
import { cpuSecondsOf, startHttpBridge, startStdioBridge } from './bridge-process.js';
import { round, summarize, table, timed } from './stats.js';

/**
 * What traces and the rate limit cost: per call, the plain HTTP bridge beside the same call carrying a
 * caller's traceparent (passed on to Mastra, nothing exported), with an OTLP exporter configured (spans
 * sent to a small receiver here, which answers at once), and with `--rate-limit` (in memory); and the
 * start-up of the stdio bin with and without OTEL_*. Variants are interleaved.
 */
export async function tracingCost(mastraUrl: string, { calls, warmup, spawns }: { calls: number; warmup: number; spawns: number }) {
  let spansReceived = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      spansReceived++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '1000' };

  const plain = await startHttpBridge(mastraUrl);
  // A bridge per variant: each process then takes the same calls over the same time, so their CPU compares.
  const passing = await startHttpBridge(mastraUrl);
  const exporting = await startHttpBridge(mastraUrl, [], { env: otel });
  const limited = await startHttpBridge(mastraUrl, ['--rate-limit', '1000000/1h']);
  const bridges = [plain, passing, exporting, limited];
  const clients = await Promise.all(bridges.map((bridge) => bridge.connect()));
  const [plainClient, passingClient, exportingClient, limitedClient] = clients as [Client, Client, Client, Client];
  const direct = clientFor(mastraUrl).getAgent('echo');
  const traced = () => ({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
  const ask = (client: Client, meta?: Record<string, string>) =>
    client.callTool({ name: 'ask_echo', arguments: { message: 'benchmark' }, ...(meta ? { _meta: meta } : {}) });
  const variants: [string, () => Promise<unknown>][] = [
    ['direct client-js', () => direct.generate('benchmark')],
    ['bridge over HTTP (plain)', () => ask(plainClient)],
    ['bridge over HTTP, caller traceparent passed on (no exporter)', () => ask(passingClient, traced())],
    ['bridge over HTTP, OTLP exporter configured, caller traceparent', () => ask(exportingClient, traced())],
    ['bridge over HTTP, --rate-limit (memory)', () => ask(limitedClient)],
  ];
  for (let i = 0; i < warmup; i++) for (const [, run] of variants) await run();
  // CPU of each bridge process over the measured calls: steadier than medians, which drift by more than a span costs.
  const cpuBefore = bridges.map((bridge) => cpuSecondsOf(bridge.child.pid!));
  const samples = variants.map(() => [] as number[]);
  for (let i = 0; i < calls; i++)
    for (let k = 0; k < variants.length; k++) {
      const v = (i + k) % variants.length;
      samples[v]!.push((await timed(variants[v]![1]))[0]);
    }
  const summaries = samples.map(summarize);
  const plainP50 = summaries[1]!.p50;
  const cpuOf = [undefined, ...bridges.map((bridge, i) => ((cpuSecondsOf(bridge.child.pid!) - cpuBefore[i]!) * 1000) / calls)];
  const perCall = table(
    `Traces and rate limit, per call (${calls} sequential calls of the echo agent each, interleaved; ${spansReceived} OTLP exports received)`,
    ['variant', 'p50 ms', 'p99 ms', 'median vs plain bridge', 'bridge CPU ms per call'],
    variants.map(([name], i) => [
      name,
      round(summaries[i]!.p50),
      round(summaries[i]!.p99),
      `${round(summaries[i]!.p50 / plainP50, 3)}×`,
      cpuOf[i] === undefined ? '' : round(cpuOf[i]!, 2),
    ]),
  );
  await Promise.all(clients.map((client) => client.close()));
  await Promise.all(bridges.map((bridge) => bridge.close()));

  // Spawn → tools/list answered over stdio, with and without OTEL_* (the SDK is imported only with it).
  const startups: [string, Record<string, string>][] = [
    ['stdio bin, no OTEL_*', {}],
    ['stdio bin, OTEL_EXPORTER_OTLP_ENDPOINT set', otel],
  ];
  const startSamples = startups.map(() => [] as number[]);
  for (let i = 0; i < spawns; i++)
    for (let k = 0; k < startups.length; k++) {
      const v = (i + k) % startups.length;
      const [ms] = await timed(async () => {
        const bridge = await startStdioBridge(mastraUrl, startups[v]![1]);
        await bridge.client.request({ method: 'tools/list' }, ListToolsResultSchema);
        await bridge.close();
      });
      startSamples[v]!.push(ms);
    }
  const startSummaries = startSamples.map(summarize);
  const startup = table(
    `Start-up: spawn → tools/list answered (median of ${spawns} interleaved spawns)`,
    ['variant', 'p50 ms', 'mean ms'],
    startups.map(([name], i) => [name, round(startSummaries[i]!.p50), round(startSummaries[i]!.mean)]),
  );
  await new Promise((resolve) => receiver.close(resolve));
  return {
    report: `${perCall}\n${startup}`,
    figures: {
      perCall: Object.fromEntries(variants.map(([name], i) => [name, { ...summaries[i], vsPlain: summaries[i]!.p50 / plainP50, bridgeCpuMs: cpuOf[i] }])),
      startup: Object.fromEntries(startups.map(([name], i) => [name, startSummaries[i]])),
    },
  };
}
