/**
 * `npm run bench`: what the bridge costs over calling Mastra directly, measured side by side in one
 * run against the real Mastra fixture (zero-delay fake model). Variants are interleaved so machine
 * drift hits them alike; figures are medians, p99s and ratios, never single timings.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { clientFor, startStack } from '../test/support/mastra.js';
import type { MastraFixture } from '../test/fixture/mastra-app.js';
import { bigStream } from './big-stream.js';
import { cpuPerCall } from './cpu-per-call.js';
import { cpuProfiles } from './profile.js';
import { inflightCapacity } from './inflight.js';
import { connectModernClient, rssOf, startHttpBridge, startStdioBridge } from './bridge-process.js';
import { redisRoundTrips } from './redis-round-trips.js';
import { requestCost } from './request-cost.js';
import { startMastraMcpPeer } from './mastra-peer.js';
import { replicasThroughput } from './replicas.js';
import { tracingCost } from './tracing.js';
import { round, summarize, table, timed, type Summary } from './stats.js';

process.env.MASTRA_TELEMETRY_DISABLED ??= '1';
process.env.MASTRA_OFFLINE ??= '1';

const quick = process.argv.includes('--quick');
/** `--only big-stream,memory` runs those scenarios alone. */
const only = process.argv.find((_, i) => process.argv[i - 1] === '--only')?.split(',');
const SCENARIOS = [
  'per-call',
  'throughput',
  'streaming',
  'memory',
  'catalogue',
  'big-stream',
  'replicas',
  'redis',
  'tracing',
  'inflight',
  'cpu',
  'profile',
  'request',
] as const;
const runs = (scenario: (typeof SCENARIOS)[number]) => !only || only.includes(scenario);
for (const name of only ?? [])
  if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);
const flag = (name: string) => process.argv.find((_, i) => process.argv[i - 1] === name);
/** `--inflight-sizes 100,500`: how many calls the in-flight scenario holds at once, each size in turn. */
const INFLIGHT_SIZES = (flag('--inflight-sizes') ?? (quick ? '100' : '100,500,2000')).split(',').map(Number);
/** `--inflight-targets legacy,modern,peer`: which servers it loads (2025 sessions, 2026 requests, Mastra's MCPServer). */
const INFLIGHT_TARGETS = (flag('--inflight-targets') ?? 'legacy,modern,peer').split(',');
/** `--heap-snapshots`: the bridge writes a heap snapshot idle and at full load (for finding where memory goes; skews RSS). */
const HEAP_SNAPSHOTS = process.argv.includes('--heap-snapshots');
const SEQUENTIAL = quick ? 60 : 300;
const WARMUP = quick ? 10 : 30;
const SESSIONS = 50;
const CALLS_PER_SESSION = quick ? 4 : 20;
const IDLE_SESSIONS = quick ? 200 : 1000;

const results: Record<string, unknown> = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
  date: new Date().toISOString(),
};
const report: string[] = [];
const say = (text: string) => {
  report.push(text);
  process.stdout.write(`${text}\n`);
};

const args = { message: 'benchmark' };
const callBridge = (client: Client) => client.callTool({ name: 'ask_echo', arguments: args });

async function perCallOverhead(mastra: MastraFixture) {
  const mastraUrl = mastra.url;
  const direct = clientFor(mastraUrl).getAgent('echo');
  const stdio = await startStdioBridge(mastraUrl);
  const http = await startHttpBridge(mastraUrl);
  const httpClient = await http.connect();
  const modernHttpClient = await http.connectModern();
  // The same bridge with --metrics: what observing each call into prom-client costs next to the plain one.
  const metered = await startHttpBridge(mastraUrl, ['--metrics']);
  const meteredClient = await metered.connect();
  const meteredModernClient = await metered.connectModern();
  const peer = await startMastraMcpPeer(mastra, ['echo']);
  const peerClient = await connectModernClient(peer.url);
  const inProcess = mastra.agents.echo!;
  const variants: [string, () => Promise<unknown>][] = [
    ['direct client-js', () => direct.generate(args.message)],
    // The floor: the agent's own work, no HTTP at all. Direct client-js adds Mastra's REST hop to it, the peer an MCP hop.
    ['Mastra agent in-process (no HTTP)', () => inProcess.generate(args.message)],
    ['bridge over stdio', () => callBridge(stdio.client)],
    ['bridge over HTTP (2025-11-25 session)', () => callBridge(httpClient)],
    ['bridge over HTTP (2026-07-28)', () => modernHttpClient.callTool({ name: 'ask_echo', arguments: args })],
    ['bridge over HTTP (2025-11-25 session), --metrics', () => callBridge(meteredClient)],
    ['bridge over HTTP (2026-07-28), --metrics', () => meteredModernClient.callTool({ name: 'ask_echo', arguments: args })],
    ['Mastra MCPServer 2.0 in-process (2026-07-28)', () => peerClient.callTool({ name: 'ask_echo', arguments: args })],
  ];
  for (let i = 0; i < WARMUP; i++) for (const [, run] of variants) await run();
  const samples = variants.map(() => [] as number[]);
  for (let i = 0; i < SEQUENTIAL; i++) {
    // Rotate the order each round so no variant always runs first.
    for (let k = 0; k < variants.length; k++) {
      const v = (i + k) % variants.length;
      const [ms] = await timed(variants[v]![1]);
      samples[v]!.push(ms);
    }
  }
  const summaries = samples.map(summarize);
  const base = summaries[0]!.p50;
  say(
    table(
      `Per-call overhead (${SEQUENTIAL} sequential calls of the echo agent each, interleaved)`,
      ['variant', 'p50 ms', 'p99 ms', 'median vs direct'],
      variants.map(([name], i) => [name, round(summaries[i]!.p50), round(summaries[i]!.p99), `${round(summaries[i]!.p50 / base, 3)}×`]),
    ),
  );
  results.perCall = Object.fromEntries(variants.map(([name], i) => [name, { ...summaries[i], ratio: summaries[i]!.p50 / base }]));
  // The bridge makes two hops (MCP in, REST to Mastra), the peer one (MCP in, the agent in its own process): each hop's
  // median cost, so the bridge's MCP hop is set against the peer's, and the REST hop shows what the peer does not pay.
  const p50 = (name: string) => summaries[variants.findIndex(([n]) => n === name)]!.p50;
  const floor = p50('Mastra agent in-process (no HTTP)');
  const peerHop = p50('Mastra MCPServer 2.0 in-process (2026-07-28)') - floor;
  const hops: [string, number][] = [
    ["Mastra's REST hop (direct client-js − in-process)", base - floor],
    ["Mastra MCPServer's MCP hop (peer − in-process)", peerHop],
    ...(['bridge over stdio', 'bridge over HTTP (2025-11-25 session)', 'bridge over HTTP (2026-07-28)'] as const).map((name): [string, number] => [
      `${name}: its MCP hop (bridge − direct client-js)`,
      p50(name) - base,
    ]),
  ];
  say(
    table(
      'What each hop adds to a call (differences of the medians above)',
      ['hop', 'ms', "vs the peer's MCP hop"],
      hops.map(([name, ms]) => [name, round(ms), `${round(ms / peerHop, 2)}×`]),
    ),
  );
  results.hops = Object.fromEntries(hops);
  await httpClient.close();
  await modernHttpClient.close();
  await meteredClient.close();
  await meteredModernClient.close();
  await metered.close();
  await peerClient.close();
  await peer.close();
  await stdio.close();
  await http.close();
}

async function throughput(mastraUrl: string) {
  const http = await startHttpBridge(mastraUrl, ['--max-sessions-per-identity', String(SESSIONS)]);
  const clients = await Promise.all(Array.from({ length: SESSIONS }, () => http.connect()));
  const directAgents = Array.from({ length: SESSIONS }, () => clientFor(mastraUrl).getAgent('echo'));
  const load = async (call: (i: number) => Promise<unknown>) => {
    const latencies: number[] = [];
    let errors = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        for (let c = 0; c < CALLS_PER_SESSION; c++) {
          const [ms, result] = await timed(() => call(i).catch((e: unknown) => ({ isError: true, e })));
          latencies.push(ms);
          if ((result as { isError?: boolean }).isError) errors++;
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    return { callsPerSecond: latencies.length / seconds, ...summarize(latencies), errors };
  };
  const direct = (i: number) => directAgents[i]!.generate(args.message);
  const bridge = (i: number) => callBridge(clients[i]!);
  await load(direct);
  await load(bridge);
  const rounds: { direct: Awaited<ReturnType<typeof load>>[]; bridge: Awaited<ReturnType<typeof load>>[] } = { direct: [], bridge: [] };
  for (let r = 0; r < 3; r++) {
    rounds.direct.push(await load(direct));
    rounds.bridge.push(await load(bridge));
  }
  const median = (xs: Awaited<ReturnType<typeof load>>[]) => [...xs].sort((a, b) => a.callsPerSecond - b.callsPerSecond)[1]!;
  const d = median(rounds.direct);
  const b = median(rounds.bridge);
  say(
    table(
      `Throughput over HTTP (${SESSIONS} concurrent sessions × ${CALLS_PER_SESSION} calls, median of 3 interleaved rounds)`,
      ['variant', 'calls/s', 'p50 ms', 'p99 ms', 'errors', 'vs direct'],
      [
        ['direct client-js (ceiling)', round(d.callsPerSecond, 0), round(d.p50), round(d.p99), d.errors, '100%'],
        ['bridge over HTTP', round(b.callsPerSecond, 0), round(b.p50), round(b.p99), b.errors, `${round((100 * b.callsPerSecond) / d.callsPerSecond, 1)}%`],
      ],
    ),
  );
  results.throughput = { direct: d, bridge: b, ratio: b.callsPerSecond / d.callsPerSecond };
  await Promise.all(clients.map((c) => c.close()));
  await http.close();
}

async function catalogueScale() {
  const rows: (string | number)[][] = [];
  const out: Record<string, unknown> = {};
  for (const agents of [10, 100, 1000]) {
    const stack = await startStack({ extraAgents: agents - 10 });
    const lister = clientFor(stack.mastra.url);
    const listing: number[] = [];
    const spawnToList: number[] = [];
    for (let i = 0; i < 3; i++) {
      listing.push((await timed(() => lister.listAgents(undefined, true)))[0]);
      const [ms, count] = await timed(async () => {
        const bridge = await startStdioBridge(stack.mastra.url);
        // A raw tools/list: Client.listTools() would add the SDK client's own cost of compiling a validator per tool.
        const { tools } = await bridge.client.request({ method: 'tools/list' }, ListToolsResultSchema);
        await bridge.close();
        return tools.length;
      });
      if (count !== agents) throw new Error(`expected ${agents} tools, got ${count}`);
      spawnToList.push(ms);
    }
    const l = summarize(listing).p50;
    const s = summarize(spawnToList).p50;
    rows.push([agents, round(l, 1), round(s, 1), round(s - l, 1)]);
    out[agents] = { listingMs: l, spawnToToolsListMs: s, bridgeMs: s - l };
    await stack.close();
  }
  say(table('Catalogue scale (median of 3 spawns over stdio)', ['agents', 'Mastra listing ms', 'spawn → tools/list ms', 'bridge beyond listing ms'], rows));
  results.catalogue = out;
}

/** Opens a session with a bare initialize POST, the cheapest thing a client can leave idle. */
async function openIdleSession(url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'idle', version: '1' } },
    }),
  });
  await response.arrayBuffer();
  if (!response.ok || !response.headers.get('mcp-session-id')) throw new Error(`initialize failed: ${response.status}`);
}

async function memory(mastraUrl: string) {
  // Every idle session is token-less, so one identity: its own cap must leave room for them all.
  const http = await startHttpBridge(mastraUrl, ['--max-sessions', String(IDLE_SESSIONS + 10), '--max-sessions-per-identity', String(IDLE_SESSIONS + 10)]);
  const settle = () => new Promise((r) => setTimeout(r, 1500));
  const warm = await http.connect();
  await warm.listTools();
  await warm.close();
  await settle();
  const idle = rssOf(http.child.pid!);
  for (let i = 0; i < IDLE_SESSIONS; i += 50) await Promise.all(Array.from({ length: 50 }, () => openIdleSession(http.url)));
  await settle();
  const loaded = rssOf(http.child.pid!);
  const perSession = (loaded - idle) / IDLE_SESSIONS;
  say(
    table(
      'Memory (HTTP bridge)',
      ['state', 'RSS MiB', 'per session'],
      [
        ['idle', round(idle / 2 ** 20, 1), ''],
        [`${IDLE_SESSIONS} idle sessions`, round(loaded / 2 ** 20, 1), `${round(perSession / 1024, 1)} KB`],
      ],
    ),
  );
  results.memory = { idleBytes: idle, loadedBytes: loaded, sessions: IDLE_SESSIONS, bytesPerSession: perSession };
  await http.close();
}

async function streamingLatency(stack: Awaited<ReturnType<typeof startStack>>) {
  const stdio = await startStdioBridge(stack.mastra.url);
  const delays: number[] = [];
  for (let i = 0; i < (quick ? 5 : 20); i++) {
    const before = stack.model.requests.length;
    let firstProgress: number | undefined;
    await stdio.client.callTool({ name: 'ask_slow', arguments: { message: `latency ${i}` } }, undefined, {
      // Mastra announces a run before the model answers; the first words are what the model's first chunk causes.
      onprogress: ({ message }) => {
        if (message?.startsWith('writing the answer')) firstProgress ??= performance.now();
      },
    });
    const request = stack.model.requests.slice(before).find((r) => r.firstChunkAt !== undefined);
    if (request?.firstChunkAt !== undefined && firstProgress !== undefined) delays.push(firstProgress - request.firstChunkAt);
  }
  const s: Summary = summarize(delays);
  say(
    table(
      'Streaming latency (slow agent over stdio)',
      ['measure', 'p50 ms', 'p99 ms', 'samples'],
      [['fake model\'s first chunk → its progress ("writing the answer") at the client', round(s.p50), round(s.p99), s.n]],
    ),
  );
  results.streaming = s;
  await stdio.close();
}

const stack = await startStack({ bigAgent: true });
say(`mastra-agents-mcp benchmark — ${results.date}; ${cpus().length} × ${cpus()[0]?.model}, Node ${process.version}${quick ? ' (quick)' : ''}`);
if (runs('per-call')) await perCallOverhead(stack.mastra);
if (runs('throughput')) await throughput(stack.mastra.url);
if (runs('streaming')) await streamingLatency(stack);
if (runs('memory')) await memory(stack.mastra.url);
if (runs('cpu')) {
  const { report: text, figures } = await cpuPerCall(stack.mastra, { calls: quick ? 200 : 1000 });
  say(text);
  results.cpu = figures;
}
if (runs('request')) {
  const { report: text, figures } = await requestCost({ requests: quick ? 200 : 1000, warmup: quick ? 20 : 100 });
  say(text);
  results.request = figures;
}
if (runs('profile')) {
  // `--keep-profiles <dir>`: each bridge's CPU profile is kept there.
  const keepIn = flag('--keep-profiles');
  const { report: text, figures } = await cpuProfiles(stack.mastra, { calls: quick ? 200 : 1000, warmup: quick ? 50 : 200, ...(keepIn ? { keepIn } : {}) });
  say(text);
  results.profile = figures;
}
if (runs('inflight')) {
  const { report: text, figures } = await inflightCapacity({ sizes: INFLIGHT_SIZES, targets: INFLIGHT_TARGETS, heap: HEAP_SNAPSHOTS });
  say(text);
  results.inflight = figures;
}
if (runs('big-stream')) {
  const { report: text, figures } = await bigStream(stack.mastra.url, { rounds: quick ? 1 : 3 });
  say(text);
  results.bigStream = figures;
}
if (runs('replicas')) {
  const { report: text, figures } = await replicasThroughput(stack.mastra.url, { quick });
  say(text);
  results.replicas = figures;
}
if (runs('redis')) {
  const { report: text, figures } = await redisRoundTrips(stack.mastra.url, { calls: quick ? 10 : 50 });
  say(text);
  results.redis = figures;
}
if (runs('tracing')) {
  const { report: text, figures } = await tracingCost(stack.mastra.url, { calls: SEQUENTIAL, warmup: WARMUP, spawns: quick ? 3 : 9 });
  say(text);
  results.tracing = figures;
}
await stack.close();
if (runs('catalogue')) await catalogueScale();

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL('./results/latest.md', import.meta.url), `${report.join('\n')}\n`);
process.stdout.write('\nWrote bench/results/latest.json and bench/results/latest.md\n');
process.exit(0);
