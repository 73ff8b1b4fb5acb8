/**
 * In-flight capacity: N callers each hold one slow streaming call with progress (the fixture's
 * `slowest` agent: ten words a second apart) at once, against a fresh HTTP bridge in each era and
 * against Mastra's own MCPServer (in this process, with Mastra), while another caller lists the tools.
 * Memory per call in flight is RSS at its peak minus RSS idle, over N. The callers run in a process of
 * their own (bench/inflight-callers.ts), so neither side carries their memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startPinger } from './big-stream.js';
import { connectModernClient, cpuSecondsOf, rssOf, startHttpBridge } from './bridge-process.js';
import { round, summarize, table, type Summary } from './stats.js';

type Era = 'legacy' | 'modern';
const TOOL = 'ask_slowest';
const PROBE = new URL('./bridge-probe.mjs', import.meta.url).pathname;
const settle = () => new Promise((r) => setTimeout(r, 1500));

export interface InflightFigures {
  target: string;
  calls: number;
  idleMiB: number;
  connectedMiB: number;
  peakMiB: number;
  /** (peak − idle) / calls */
  bytesPerCall: number;
  /** (RSS once every call has had progress − idle) / calls: steadier than the peak, which also holds garbage not yet collected. */
  bytesPerCallHeld: number;
  /** How much the benchmark's own process (Mastra, and the peer when it is the target) grew meanwhile. */
  mastraGrowthMiB: number;
  /** CPU ms per call of the serving process from the go to the last answer, less the other caller's listings at what one costs alone: the bridge's, or for the peer Mastra's whole process. */
  cpuMsPerCall: number;
  /** CPU ms per call of the Mastra process meanwhile (the agents' work; for the peer, the same figure as cpuMsPerCall). */
  mastraCpuMsPerCall: number;
  lagP99Ms: number;
  toolsList: Summary;
  answered: number;
  errors: number;
  withoutProgress: number;
  firstError?: string;
  callMs: Summary;
  /** Seconds after the calls were sent: every call had progress, the server's RSS peaked, every call was answered. */
  timeline: { inflightAtS: number; peakAtS: number; doneAtS: number };
  /** The server process's memory once every call has had progress: what the RSS is made of. */
  inFlight: { rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number };
}

/** Lines a child writes to stdout, one at a time. */
function linesOf(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => (waiting.shift() ?? ((l: string) => queue.push(l)))(line));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w(`exit ${code}`);
  });
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve)));
}

async function expectLine(next: () => Promise<string>, expected: string): Promise<void> {
  const line = await next();
  if (line !== expected) throw new Error(`in-flight callers: expected "${expected}", got "${line.slice(0, 300)}"`);
}

/** The highest RSS of each process seen until `stop()`, read every 50 ms, and when (ms after the start) the first one peaked. */
function peakSampler(read: () => number[]): { stop(): { peaks: number[]; firstPeakAtMs: number } } {
  const start = performance.now();
  let peaks = read();
  let firstPeakAtMs = 0;
  const sample = () => {
    const now = read();
    if ((now[0] ?? 0) > (peaks[0] ?? 0)) firstPeakAtMs = performance.now() - start;
    peaks = now.map((rss, i) => Math.max(rss, peaks[i] ?? 0));
  };
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peaks, firstPeakAtMs };
    },
  };
}

interface Target {
  name: string;
  url: string;
  era: Era;
  rss(): number;
  /** RSS of the Mastra process behind it (the same process as `rss` for the peer). */
  mastraRss(): number;
  /** CPU seconds used so far by the serving process, and by the Mastra process behind it. */
  cpu(): number;
  mastraCpu(): number;
  /** Event-loop delay p99 since the last read, in ms (and starts over), and the process's memory now. */
  probe(): Promise<{ lagP99Ms: number } & NodeJS.MemoryUsage>;
  close(): Promise<void>;
}

type Probe = () => Promise<{ lagP99Ms: number; snapshot?: string } & NodeJS.MemoryUsage>;

/** Asks a process started with bench/bridge-probe.mjs for its figures (SIGUSR2), and waits for the file. */
const probeOf =
  (child: ChildProcess, file: string): Probe =>
  async () => {
    rmSync(file, { force: true });
    child.kill('SIGUSR2');
    for (let i = 0; i < 6000 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    return JSON.parse(readFileSync(file, 'utf8'));
  };

/** A fresh Mastra process (bench/mastra-process.ts), with Mastra's MCPServer inside when `peer`. */
export async function startMastraProcess(peer: boolean): Promise<{ pid: number; mastraUrl: string; peerUrl?: string; probe: Probe; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'inflight-mastra-'));
  const file = join(dir, 'probe.json');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', PROBE, new URL('./mastra-process.ts', import.meta.url).pathname, ...(peer ? ['--peer'] : [])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_PROBE_FILE: file },
    },
  );
  const next = linesOf(child);
  let line = await next();
  // Mastra may say something of its own first.
  while (!line.startsWith('{"mastraUrl"')) {
    if (line.startsWith('exit ')) throw new Error(`Mastra process ${line}`);
    line = await next();
  }
  const urls = JSON.parse(line) as { mastraUrl: string; peerUrl?: string };
  return {
    pid: child.pid!,
    ...urls,
    probe: probeOf(child, file),
    close: async () => {
      rmSync(dir, { recursive: true, force: true });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

async function bridgeTarget(era: Era, calls: number, heap: boolean): Promise<Target> {
  const mastra = await startMastraProcess(false);
  const mastraUrl = mastra.mastraUrl;
  const dir = mkdtempSync(join(tmpdir(), 'inflight-'));
  const file = join(dir, 'probe.json');
  const cap = String(calls + 20);
  const bridge = await startHttpBridge(mastraUrl, ['--max-sessions', cap, '--max-sessions-per-identity', cap], {
    nodeArgs: ['--import', PROBE],
    env: { BENCH_PROBE_FILE: file, ...(heap ? { BENCH_HEAP_SNAPSHOT: '1' } : {}) },
  });
  const pid = bridge.child.pid!;
  const probe = probeOf(bridge.child, file);
  return {
    name: `bridge, HTTP ${era === 'legacy' ? '2025-11-25 sessions' : '2026-07-28'}`,
    url: bridge.url,
    era,
    rss: () => rssOf(pid),
    mastraRss: () => rssOf(mastra.pid),
    cpu: () => cpuSecondsOf(pid),
    mastraCpu: () => cpuSecondsOf(mastra.pid),
    probe,
    close: async () => {
      await bridge.close();
      await mastra.close();
      if (heap) process.stderr.write(`heap snapshots (idle, connected, in flight, done): ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function peerTarget(): Promise<Target> {
  const mastra = await startMastraProcess(true);
  return {
    name: 'Mastra MCPServer 2.0 in-process (2026-07-28)',
    url: mastra.peerUrl!,
    era: 'modern',
    rss: () => rssOf(mastra.pid),
    mastraRss: () => rssOf(mastra.pid),
    cpu: () => cpuSecondsOf(mastra.pid),
    mastraCpu: () => cpuSecondsOf(mastra.pid),
    probe: mastra.probe,
    close: () => mastra.close(),
  };
}

async function measure(target: Target, calls: number, heap: boolean): Promise<InflightFigures> {
  // Warm the paths a call takes, so the idle figure is not a cold start.
  const warm = await connectModernClient(target.url);
  for (let i = 0; i < 5; i++) await warm.callTool({ name: 'ask_echo', arguments: { message: 'warm' } });
  await warm.close();
  await settle();
  // With heap snapshots on, each probe of the bridge writes one: idle, callers connected, calls in flight, done.
  if (heap) await target.probe();
  const idle = target.rss();
  const mastraIdle = target.mastraRss();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./inflight-callers.ts', import.meta.url).pathname, target.url, target.era, String(calls), TOOL],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const next = linesOf(child);
  await expectLine(next, 'connected');
  const connected = target.rss();
  const pingerFlags = ['--tools-list', ...(target.era === 'modern' ? ['--modern'] : [])];
  // What one listing of the other caller costs the server, alone, so its listings during the load come off the calls' CPU.
  const calibration = await startPinger(target.url, pingerFlags);
  const cpuBeforeListings = target.cpu();
  await new Promise((r) => setTimeout(r, 2000));
  const listingsAlone = (await calibration.stop()).length;
  const cpuPerListing = (target.cpu() - cpuBeforeListings) / Math.max(1, listingsAlone);
  const pinger = await startPinger(target.url, pingerFlags);
  await target.probe();
  const sampler = peakSampler(() => [target.rss(), target.mastraRss()]);
  const go = performance.now();
  const [cpuAtGo, mastraCpuAtGo] = [target.cpu(), target.mastraCpu()];
  child.stdin!.write('go\n');
  await expectLine(next, 'inflight');
  const inflightAtMs = performance.now() - go;
  const during = await target.probe();
  const outcome = JSON.parse(await next()) as { answered: number; errors: number; withoutProgress: number; firstError?: string; ms: number[] };
  const doneAtMs = performance.now() - go;
  const [cpuAtDone, mastraCpuAtDone] = [target.cpu(), target.mastraCpu()];
  const {
    peaks: [peak, mastraPeak],
    firstPeakAtMs,
  } = sampler.stop() as { peaks: [number, number]; firstPeakAtMs: number };
  // Two halves, each probe starting over: the higher p99 stands for the whole load.
  const lagP99Ms = Math.max(during.lagP99Ms, (await target.probe()).lagP99Ms);
  const listings = await pinger.stop();
  const toolsList = summarize(listings);
  // Listings until the last answer, at what one costs alone (the pinger keeps listing a moment longer; under load one costs a little more).
  const listingsMeanwhile = listings.length * Math.min(1, doneAtMs / (performance.now() - go));
  const perCallMs = (seconds: number) => (seconds * 1000) / calls;
  const cpuMsPerCall = perCallMs(cpuAtDone - cpuAtGo - listingsMeanwhile * cpuPerListing);
  const mastraCpuMsPerCall = perCallMs(mastraCpuAtDone - mastraCpuAtGo);
  child.stdin!.end();
  const MiB = 2 ** 20;
  return {
    target: target.name,
    calls,
    idleMiB: idle / MiB,
    connectedMiB: connected / MiB,
    peakMiB: peak / MiB,
    bytesPerCall: (peak - idle) / calls,
    bytesPerCallHeld: (during.rss - idle) / calls,
    mastraGrowthMiB: (mastraPeak - mastraIdle) / MiB,
    cpuMsPerCall,
    mastraCpuMsPerCall,
    lagP99Ms,
    toolsList,
    answered: outcome.answered,
    errors: outcome.errors,
    withoutProgress: outcome.withoutProgress,
    firstError: outcome.firstError,
    callMs: summarize(outcome.ms),
    timeline: { inflightAtS: inflightAtMs / 1000, peakAtS: firstPeakAtMs / 1000, doneAtS: doneAtMs / 1000 },
    inFlight: { rssMiB: during.rss / MiB, heapUsedMiB: during.heapUsed / MiB, heapTotalMiB: during.heapTotal / MiB, externalMiB: during.external / MiB },
  };
}

/**
 * What one more call in flight costs, between two sizes: (RSS at N₂ − RSS at N₁) / (N₂ − N₁). Unlike
 * RSS over N, it leaves out what any load costs once (a grown young generation, compiled code).
 */
export function marginal(figures: InflightFigures[]): string {
  const lines: string[] = [];
  for (const target of new Set(figures.map((f) => f.target))) {
    const runs = figures.filter((f) => f.target === target).sort((a, b) => a.calls - b.calls);
    for (let i = 1; i < runs.length; i++) {
      const [a, b] = [runs[i - 1]!, runs[i]!];
      const slope = (x: InflightFigures, y: InflightFigures, bytes: (f: InflightFigures) => number) => (bytes(y) - bytes(x)) / (y.calls - x.calls) / 1024;
      const peak = slope(a, b, (f) => f.peakMiB * 2 ** 20);
      const held = slope(a, b, (f) => f.inFlight.rssMiB * 2 ** 20);
      lines.push(`- ${target}, ${a.calls} → ${b.calls} calls: ${round(peak, 1)} KB more RSS per call at the peak, ${round(held, 1)} KB with all held`);
    }
  }
  return lines.length ? `\nEach further call in flight:\n\n${lines.join('\n')}\n` : '';
}

export async function inflightCapacity({
  sizes,
  heap = false,
  targets = ['legacy', 'modern', 'peer'],
}: {
  sizes: number[];
  heap?: boolean;
  targets?: string[];
}): Promise<{ report: string; figures: InflightFigures[] }> {
  const figures: InflightFigures[] = [];
  for (const calls of sizes) {
    // Interleaved: each size runs against every target before the next size.
    for (const which of targets) {
      const target = which === 'peer' ? await peerTarget() : await bridgeTarget(which as Era, calls, heap);
      try {
        const f = await measure(target, calls, heap);
        figures.push(f);
        const m = f.inFlight;
        process.stderr.write(
          `in-flight ${calls} × ${f.target}: ${round(f.bytesPerCall / 1024, 1)} KB per call, ${f.errors} errors; in flight: RSS ${round(m.rssMiB, 0)} MiB, heap ${round(m.heapUsedMiB, 0)} of ${round(m.heapTotalMiB, 0)} MiB, external ${round(m.externalMiB, 0)} MiB; in flight at ${round(f.timeline.inflightAtS, 1)} s, peak at ${round(f.timeline.peakAtS, 1)} s, done at ${round(f.timeline.doneAtS, 1)} s\n`,
        );
      } finally {
        await target.close();
      }
    }
  }
  const report = table(
    'In-flight capacity: N callers each holding one slow streaming call with progress (ten chunks over 10 s), while another caller lists the tools',
    [
      'calls',
      'server',
      'idle → peak RSS MiB',
      'RSS per call in flight (peak)',
      'RSS per call, all held',
      'Mastra process grew MiB',
      'CPU ms per call: server / Mastra',
      'event-loop p99 ms',
      'tools/list p50 / p99 ms',
      'answered',
      'errors',
      'no progress',
    ],
    figures.map((f) => [
      f.calls,
      f.target,
      `${round(f.idleMiB, 0)} → ${round(f.peakMiB, 0)}`,
      `${round(f.bytesPerCall / 1024, 1)} KB`,
      `${round(f.bytesPerCallHeld / 1024, 1)} KB`,
      round(f.mastraGrowthMiB, 0),
      f.target.startsWith('bridge') ? `${round(f.cpuMsPerCall, 2)} / ${round(f.mastraCpuMsPerCall, 2)}` : `(one process) ${round(f.cpuMsPerCall, 2)}`,
      round(f.lagP99Ms, 0),
      `${round(f.toolsList.p50, 1)} / ${round(f.toolsList.p99, 0)}`,
      f.answered,
      f.errors,
      f.withoutProgress,
    ]),
  );
  return {
    report: `${report}\n${marginal(figures)}\nEach run has a fresh Mastra process (and bridge). The peer runs inside Mastra's process, so its RSS is Mastra's too: its own share is its growth minus Mastra's growth under the bridge, and its CPU is Mastra's too: its own share is its figure minus Mastra's under the bridge.`,
    figures,
  };
}
