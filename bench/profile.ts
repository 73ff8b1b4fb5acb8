/**
 * Where a call's CPU goes in the bridge, per transport: three bridges (stdio, HTTP with a 2025
 * session, HTTP 2026-07-28) run with bench/cpu-profile-probe.mjs preloaded, take warm-up calls, then
 * are profiled together over N rounds of one sequential echo call each (the per-call scenario's
 * call), interleaved so that drift of the machine hits them alike. Each profile is summed by layer
 * (bench/profile-layers.ts) and divided by N, with the JSON.parse/JSON.stringify calls of
 * JavaScript code per call.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MastraFixture } from '../test/fixture/mastra-app.js';
import { BIN, startHttpBridge, startStdioBridge } from './bridge-process.js';
import { cpuByLayer, LAYERS, type CpuProfile, type Layer } from './profile-layers.js';
import { round, summarize, table } from './stats.js';

const PROBE = new URL('./cpu-profile-probe.mjs', import.meta.url).pathname;
const args = { message: 'benchmark' };

interface Caller {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

interface Profiled {
  variant: string;
  pid: number;
  file: string;
  caller: Caller;
  close(): Promise<void>;
}

export interface ProfileFigures {
  variant: string;
  calls: number;
  /** Median wall time of a call while profiled, ms (the profiler costs some). */
  wallMs: number;
  /** CPU per call by layer, ms; idle left out. */
  layersMs: Partial<Record<Layer, number>>;
  busyMs: number;
  json: { parse: number; stringify: number; parsedChars: number; stringifiedChars: number };
}

async function readProfile(file: string): Promise<{ profile: CpuProfile; json: ProfileFigures['json'] }> {
  for (let i = 0; i < 3000 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 10));
  return JSON.parse(readFileSync(file, 'utf8'));
}

async function startProfiled(mastraUrl: string, dir: string): Promise<Profiled[]> {
  const stdioFile = join(dir, 'stdio.json');
  const stdio = await startStdioBridge(mastraUrl, { NODE_OPTIONS: `--import ${PROBE}`, BENCH_CPU_PROFILE: stdioFile });
  const bridges: Profiled[] = [{ variant: 'bridge over stdio', pid: stdio.pid, file: stdioFile, caller: stdio.client, close: () => stdio.close() }];
  for (const era of ['2025-11-25 session', '2026-07-28'] as const) {
    const file = join(dir, `${era}.json`);
    const http = await startHttpBridge(mastraUrl, [], { nodeArgs: ['--import', PROBE], env: { BENCH_CPU_PROFILE: file } });
    const caller = era === '2026-07-28' ? await http.connectModern() : await http.connect();
    bridges.push({ variant: `bridge over HTTP (${era})`, pid: http.child.pid!, file, caller, close: () => http.close() });
  }
  return bridges;
}

/** `keepIn`: a directory to keep each bridge's profile in (`<variant>.cpuprofile`, for Chrome DevTools or a flame graph). */
export async function cpuProfiles(
  mastra: MastraFixture,
  { calls = 1000, warmup = 200, keepIn }: { calls?: number; warmup?: number; keepIn?: string } = {},
): Promise<{ report: string; figures: ProfileFigures[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-profile-'));
  if (keepIn) mkdirSync(keepIn, { recursive: true });
  const bridges = await startProfiled(mastra.url, dir);
  const call = (b: Profiled) => b.caller.callTool({ name: 'ask_echo', arguments: args });
  const figures: ProfileFigures[] = [];
  try {
    for (let i = 0; i < warmup; i++) for (const b of bridges) await call(b);
    for (const b of bridges) process.kill(b.pid, 'SIGUSR2');
    // The profilers start on the signal; the first call waits a moment so none of it is missed.
    await new Promise((r) => setTimeout(r, 300));
    const wall = bridges.map(() => [] as number[]);
    for (let i = 0; i < calls; i++)
      for (let k = 0; k < bridges.length; k++) {
        // Rotate the order each round so no bridge always goes first.
        const v = (i + k) % bridges.length;
        const start = performance.now();
        await call(bridges[v]!);
        wall[v]!.push(performance.now() - start);
      }
    for (const b of bridges) process.kill(b.pid, 'SIGUSR2');
    for (const [v, b] of bridges.entries()) {
      const { profile, json } = await readProfile(b.file);
      if (keepIn) writeFileSync(join(keepIn, `${b.variant.replace(/[^\w.-]+/g, '-')}.cpuprofile`), JSON.stringify(profile));
      const byLayer = cpuByLayer(profile, `${pathToFileURL(dirname(BIN)).href}/`);
      const per = (n: number) => n / calls;
      figures.push({
        variant: b.variant,
        calls,
        wallMs: summarize(wall[v]!).p50,
        layersMs: Object.fromEntries([...byLayer].map(([layer, us]) => [layer, per(us / 1000)])),
        busyMs: per([...byLayer.values()].reduce((a, c) => a + c, 0) / 1000),
        json: { parse: per(json.parse), stringify: per(json.stringify), parsedChars: per(json.parsedChars), stringifiedChars: per(json.stringifiedChars) },
      });
    }
  } finally {
    for (const b of bridges) {
      await b.caller.close();
      await b.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const ms = (n: number | undefined) => round(n ?? 0, 3);
  const report = table(
    `Where a call's CPU goes in the bridge: ms of CPU per echo call by layer (${calls} rounds of one call to each bridge, interleaved, profiled; idle left out)`,
    ['layer', ...figures.map((f) => f.variant)],
    [
      ...LAYERS.map((layer) => [layer, ...figures.map((f) => ms(f.layersMs[layer]))]),
      ['all CPU of the bridge', ...figures.map((f) => ms(f.busyMs))],
      ['wall time per call, p50 (profiled)', ...figures.map((f) => ms(f.wallMs))],
      ['JSON.parse / JSON.stringify calls per call (JavaScript code)', ...figures.map((f) => `${round(f.json.parse, 1)} / ${round(f.json.stringify, 1)}`)],
      ['characters parsed / stringified per call', ...figures.map((f) => `${round(f.json.parsedChars, 0)} / ${round(f.json.stringifiedChars, 0)}`)],
    ],
  );
  return { report, figures };
}
