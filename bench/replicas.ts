/**
 * Calls/s through a real nginx with 1, 2 and 3 replicas, in both eras (2025-11-25 with --stateless,
 * 2026-07-28 as is), and what --stateless costs one bridge per request. Every replica is a bin of
 * its own; Mastra, the fake model, nginx and the clients share the same machine, which caps it all.
 */
import type { Client as ModernClient } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createServer } from '../src/protocol/legacy/server.js';
import { SessionTransport } from '../src/transports/session-transport.js';
import { clientFor } from '../test/support/mastra.js';
import { startNginx } from '../test/support/nginx.js';
import { connectModernClient, startHttpBridge, type HttpBridge } from './bridge-process.js';
import { readFileSync } from 'node:fs';
import { round, summarize, table, timed } from './stats.js';
import { catalogueOf, frontDefaults } from '../test/support/defaults.js';

const args = { message: 'benchmark' };
const call = (client: Client | ModernClient): Promise<unknown> => client.callTool({ name: 'ask_echo', arguments: args });

/** CPU time (user + system) a process has used, in ms, from /proc (clock ticks of 10 ms). */
const cpuMsOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

/** Each of `callers` (one connection each) calling `calls` times, all at once; calls/s and latency. */
async function load(callers: (() => Promise<unknown>)[], calls: number) {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const start = performance.now();
  await Promise.all(
    callers.map(async (caller) => {
      for (let c = 0; c < calls; c++) {
        const [ms, result] = await timed(() => caller().catch((error: unknown) => ({ isError: true, error })));
        latencies.push(ms);
        if ((result as { isError?: boolean }).isError) {
          errors++;
          firstError ??= (result as { error?: unknown }).error ?? JSON.stringify(result).slice(0, 300);
        }
      }
    }),
  );
  if (firstError !== undefined)
    process.stderr.write(`replicas bench: a call failed: ${firstError instanceof Error ? firstError.message : String(firstError)}\n`);
  return { callsPerSecond: latencies.length / ((performance.now() - start) / 1000), ...summarize(latencies), errors };
}

const connectLegacy = async (url: string): Promise<Client> => {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
};

export async function replicasThroughput(mastraUrl: string, { quick }: { quick: boolean }) {
  const concurrency = quick ? 16 : 32;
  const calls = quick ? 5 : 15;
  const roundsOf = quick ? 1 : 3;
  const replicas = await Promise.all([0, 1, 2].map(() => startHttpBridge(mastraUrl, ['--stateless'])));
  const sessionful = await startHttpBridge(mastraUrl);
  const figures: Record<string, unknown> = {};
  const rows: (string | number)[][] = [];
  try {
    // The ceiling: the same load straight at Mastra, which shares this process with the clients.
    const direct = Array.from({ length: concurrency }, () => clientFor(mastraUrl).getAgent('echo'));
    const ceiling = await load(
      direct.map((agent) => () => agent.generate(args.message)),
      calls,
    );
    rows.push(['none', 'client-js straight to Mastra (ceiling)', round(ceiling.callsPerSecond, 0), round(ceiling.p50), round(ceiling.p99), ceiling.errors, '']);
    figures.ceiling = ceiling;
    for (const count of [1, 2, 3]) {
      const nginx = await startNginx({ upstreams: replicas.slice(0, count).map((replica) => new URL(replica.url).host) });
      try {
        const legacy = await Promise.all(Array.from({ length: concurrency }, () => connectLegacy(nginx.url)));
        const modern = await Promise.all(Array.from({ length: concurrency }, () => connectModernClient(nginx.url)));
        const eras = { legacy: legacy.map((client) => () => call(client)), modern: modern.map((client) => () => call(client)) };
        await load(eras.legacy, 2);
        await load(eras.modern, 2);
        const runs = { legacy: [] as Awaited<ReturnType<typeof load>>[], modern: [] as Awaited<ReturnType<typeof load>>[] };
        const pids = replicas.slice(0, count).map((replica) => replica.child.pid!);
        const cpu = { legacy: 0, modern: 0 };
        const measured = async (era: 'legacy' | 'modern') => {
          const before = pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
          runs[era].push(await load(eras[era], calls));
          cpu[era] += pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0) - before;
        };
        for (let r = 0; r < roundsOf; r++) {
          await measured('legacy');
          await measured('modern');
        }
        for (const era of ['legacy', 'modern'] as const) {
          const sorted = [...runs[era]].sort((a, b) => a.callsPerSecond - b.callsPerSecond);
          const median = sorted[Math.floor(sorted.length / 2)]!;
          const name = era === 'legacy' ? '2025-11-25 --stateless' : '2026-07-28';
          // The replicas' CPU per call: what sizes a deployment, whatever else shares this machine.
          const cpuPerCall = cpu[era] / (roundsOf * concurrency * calls);
          rows.push([count, name, round(median.callsPerSecond, 0), round(median.p50), round(median.p99), median.errors, round(cpuPerCall, 2)]);
          figures[`${count} ${name}`] = { ...median, replicaCpuMsPerCall: cpuPerCall };
        }
        await Promise.all([...legacy, ...modern].map((client) => client.close()));
      } finally {
        await nginx.close();
      }
    }
    const cost = await perRequestCost(sessionful, replicas[0]!, quick ? 100 : 400);
    figures.perRequest = cost.figures;
    const building = await serverPerRequest(mastraUrl, quick ? 500 : 2000);
    figures.serverPerRequestMicros = building;
    const report = [
      table(
        `Replicas behind nginx round robin (${concurrency} clients × ${calls} calls of the echo agent, median of ${roundsOf})`,
        ['replicas', 'era', 'calls/s', 'p50 ms', 'p99 ms', 'errors', 'replica CPU ms/call'],
        rows,
      ),
      cost.report,
      `\nBuilding and closing the MCP server and transport of one --stateless request: ${round(building, 1)} µs of CPU (mean of ${quick ? 500 : 2000}, in-process).`,
    ].join('\n');
    return { report, figures };
  } finally {
    await Promise.all([...replicas, sessionful].map((bridge) => bridge.close()));
  }
}

/** One bridge, no balancer, sequential calls: what a request costs with a session, without one, and in 2026-07-28. */
async function perRequestCost(sessionful: HttpBridge, stateless: HttpBridge, samples: number) {
  const variants: [string, Client | ModernClient][] = [
    ['2025-11-25 session', await sessionful.connect()],
    ['2025-11-25 --stateless', await stateless.connect()],
    ['2026-07-28', await stateless.connectModern()],
  ];
  for (let i = 0; i < 30; i++) for (const [, client] of variants) await call(client);
  const times = variants.map(() => [] as number[]);
  for (let i = 0; i < samples; i++) {
    for (let k = 0; k < variants.length; k++) {
      const v = (i + k) % variants.length;
      times[v]!.push((await timed(() => call(variants[v]![1])))[0]);
    }
  }
  const summaries = times.map(summarize);
  const base = summaries[0]!.p50;
  await Promise.all(variants.map(([, client]) => client.close()));
  return {
    report: table(
      `Per-request cost of --stateless (one bridge, no balancer, ${samples} sequential calls each, interleaved)`,
      ['variant', 'p50 ms', 'p99 ms', 'vs session'],
      variants.map(([name], i) => [name, round(summaries[i]!.p50), round(summaries[i]!.p99), `${round(summaries[i]!.p50 - base)} ms`]),
    ),
    figures: Object.fromEntries(variants.map(([name], i) => [name, summaries[i]])),
  };
}

/** The work --stateless adds to each request, measured alone: a server and a transport built, connected and closed. */
async function serverPerRequest(mastraUrl: string, count: number): Promise<number> {
  const client = clientFor(mastraUrl);
  const catalogue = catalogueOf(client);
  await catalogue.refresh();
  const front = frontDefaults();
  const tasks = front.tasks.forIdentity('bench');
  const once = async () => {
    const server = createServer({ ...front, catalogue, client, baseUrl: mastraUrl, identityTasks: tasks, perRequest: true });
    await server.connect(new SessionTransport({ sessionIdGenerator: undefined, enableJsonResponse: true }));
    await server.close();
  };
  for (let i = 0; i < 200; i++) await once();
  // CPU time, not wall time: other processes on the machine do not inflate it.
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await once();
  const { user, system } = process.cpuUsage(start);
  return (user + system) / count;
}
