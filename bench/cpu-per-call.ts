/**
 * CPU per call: CPU-seconds the bridge process spends per 1,000 echo calls (from /proc), the figure
 * that sizes replicas, beside the peer's. Ten callers call at once. The benchmark's own process holds
 * Mastra and the callers, and with the peer the peer too: its CPU is shown for every variant, so the
 * peer's own share is its row's figure minus the bridge-over-2026 row's.
 */
import type { MastraFixture } from '../test/fixture/mastra-app.js';
import { connectModernClient, cpuSecondsOf, startHttpBridge, startStdioBridge } from './bridge-process.js';
import { startMastraMcpPeer } from './mastra-peer.js';
import { round, table } from './stats.js';

const CALLERS = 10;
const args = { message: 'benchmark' };

interface Variant {
  name: string;
  /** The process serving MCP, when it is not this one. */
  pid?: number;
  callers: ((i: number) => Promise<unknown>)[];
  close(): Promise<void>;
}

export interface CpuFigures {
  variant: string;
  calls: number;
  /** CPU-seconds per 1,000 calls of the bridge process (undefined for the in-process peer). */
  serverCpuS?: number;
  /** CPU-seconds per 1,000 calls of this process: Mastra, the callers, and the peer when it serves. */
  benchCpuS: number;
  wallS: number;
}

async function variants(mastra: MastraFixture): Promise<Variant[]> {
  const stdio = await startStdioBridge(mastra.url);
  const http = await startHttpBridge(mastra.url);
  const sessions = await Promise.all(Array.from({ length: CALLERS }, () => http.connect()));
  const modern = await Promise.all(Array.from({ length: CALLERS }, () => http.connectModern()));
  const peer = await startMastraMcpPeer(mastra, ['echo']);
  const peerClients = await Promise.all(Array.from({ length: CALLERS }, () => connectModernClient(peer.url)));
  const call = (client: { callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown> }) => () =>
    client.callTool({ name: 'ask_echo', arguments: args });
  return [
    {
      name: 'bridge over stdio (one connection)',
      pid: stdio.pid,
      callers: Array.from({ length: CALLERS }, () => call(stdio.client)),
      close: () => stdio.close(),
    },
    {
      name: 'bridge over HTTP (2025-11-25 sessions)',
      pid: http.child.pid!,
      callers: sessions.map(call),
      close: async () => void (await Promise.all(sessions.map((c) => c.close()))),
    },
    {
      name: 'bridge over HTTP (2026-07-28)',
      pid: http.child.pid!,
      callers: modern.map(call),
      close: async () => {
        await Promise.all(modern.map((c) => c.close()));
        await http.close();
      },
    },
    {
      name: 'Mastra MCPServer 2.0 in-process (2026-07-28)',
      callers: peerClients.map(call),
      close: async () => {
        await Promise.all(peerClients.map((c) => c.close()));
        await peer.close();
      },
    },
  ];
}

async function run(variant: Variant, calls: number): Promise<CpuFigures> {
  const serverBefore = variant.pid ? cpuSecondsOf(variant.pid) : 0;
  const benchBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    variant.callers.map(async (caller) => {
      for (let c = 0; c < calls / CALLERS; c++) await caller(c);
    }),
  );
  const wallS = (performance.now() - start) / 1000;
  const bench = process.cpuUsage(benchBefore);
  const per1000 = 1000 / calls;
  return {
    variant: variant.name,
    calls,
    serverCpuS: variant.pid ? (cpuSecondsOf(variant.pid) - serverBefore) * per1000 : undefined,
    benchCpuS: ((bench.user + bench.system) / 1e6) * per1000,
    wallS,
  };
}

export async function cpuPerCall(mastra: MastraFixture, { calls = 1000 } = {}): Promise<{ report: string; figures: CpuFigures[] }> {
  const all = await variants(mastra);
  try {
    for (const v of all) await run(v, CALLERS * 10); // warm-up
    // Two rounds in opposite orders, so drift of the shared machine hits every variant alike; the lower of each is kept.
    const round1 = new Map<Variant, CpuFigures>();
    const round2 = new Map<Variant, CpuFigures>();
    for (const v of all) round1.set(v, await run(v, calls));
    for (const v of [...all].reverse()) round2.set(v, await run(v, calls));
    const cost = (f: CpuFigures) => f.serverCpuS ?? f.benchCpuS;
    const figures = all.map((v) => [round1.get(v)!, round2.get(v)!].sort((a, b) => cost(a) - cost(b))[0]!);
    const report = table(
      `CPU per call: CPU-seconds per 1,000 echo calls (${calls} calls, ${CALLERS} callers at once, the lower of 2 rounds)`,
      ['variant', 'server process CPU s', 'benchmark process (Mastra + callers) CPU s', 'wall s'],
      figures.map((f) => [f.variant, f.serverCpuS === undefined ? "(in Mastra's process)" : round(f.serverCpuS, 2), round(f.benchCpuS, 2), round(f.wallS, 1)]),
    );
    return { report, figures };
  } finally {
    for (const v of all) await v.close();
  }
}
