/**
 * A big answer (10 MB) streamed with progress against the same answer called plainly, each in a fresh
 * HTTP bridge process, while another session pings: time, the bridge's peak RSS, and the ping's p99.
 */
import { spawn } from 'node:child_process';
import { bigAnswer } from '../test/fixture/fake-model.js';
import { textOf } from '../test/support/mcp-clients.js';
import { peakRssOf, startHttpBridge } from './bridge-process.js';
import { round, summarize, table, timed, type Summary } from './stats.js';

export interface BigStreamFigures {
  megabytes: number;
  rounds: number;
  plain: Figures;
  streamed: Figures;
}

interface Figures {
  ms: number;
  peakRssMiB: number;
  ping: Summary;
}

/** Another caller pinging (or, with `--tools-list`, listing tools) from a process of its own (bench/ping-probe.ts) until `stop()`. */
export async function startPinger(url: string, flags: string[] = []): Promise<{ stop(): Promise<number[]> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./ping-probe.ts', import.meta.url).pathname, url, ...flags], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => out.startsWith('ready\n') && resolve());
    child.on('exit', (code) => reject(new Error(`ping probe exited (${code})`)));
  });
  return {
    stop: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.on('exit', resolve));
      return JSON.parse(out.slice('ready\n'.length)) as number[];
    },
  };
}

async function once(mastraUrl: string, megabytes: number, streamed: boolean): Promise<Figures> {
  const bridge = await startHttpBridge(mastraUrl);
  const caller = await bridge.connect();
  const pinger = await startPinger(bridge.url);
  const expected = bigAnswer(megabytes).length;
  const options = { timeout: 600_000, ...(streamed ? { onprogress: () => {} } : {}) };
  const [ms, result] = await timed(() => caller.callTool({ name: 'ask_big', arguments: { message: String(megabytes) } }, undefined, options));
  const pings = await pinger.stop();
  // The text is cut to --max-result-chars; the whole answer is in structuredContent.
  const answer = String((result.structuredContent as { text?: unknown } | undefined)?.text ?? '');
  if (answer.length !== expected) throw new Error(`expected ${expected} characters, got ${answer.length}: ${textOf(result).slice(0, 200)}`);
  const peak = peakRssOf(bridge.child.pid!);
  await caller.close();
  await bridge.close();
  return { ms, peakRssMiB: peak / 2 ** 20, ping: summarize(pings) };
}

const median = (xs: Figures[], key: (f: Figures) => number) => [...xs].map(key).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function bigStream(mastraUrl: string, { megabytes = 10, rounds = 3 } = {}): Promise<{ report: string; figures: BigStreamFigures }> {
  const runs = { plain: [] as Figures[], streamed: [] as Figures[] };
  await once(mastraUrl, 1, true); // warm-up: Mastra's and the model's first big answer
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first so machine drift hits both alike.
    for (const streamed of r % 2 ? [true, false] : [false, true]) runs[streamed ? 'streamed' : 'plain'].push(await once(mastraUrl, megabytes, streamed));
  }
  const summary = (xs: Figures[]): Figures => ({
    ms: median(xs, (f) => f.ms),
    peakRssMiB: median(xs, (f) => f.peakRssMiB),
    ping: { ...xs[0]!.ping, n: xs.reduce((n, f) => n + f.ping.n, 0), p50: median(xs, (f) => f.ping.p50), p99: median(xs, (f) => f.ping.p99) },
  });
  const plain = summary(runs.plain);
  const streamed = summary(runs.streamed);
  const row = (name: string, f: Figures): (string | number)[] => [
    name,
    round(f.ms, 0),
    `${round(f.ms / plain.ms, 2)}×`,
    round(f.peakRssMiB, 0),
    `${round(f.peakRssMiB / plain.peakRssMiB, 2)}×`,
    round(f.ping.p50, 1),
    round(f.ping.p99, 1),
  ];
  const report = table(
    `A ${megabytes} MB answer over HTTP, each in a fresh bridge process, while another session pings (median of ${rounds})`,
    ['call', 'ms', 'vs plain', 'bridge peak RSS MiB', 'vs plain', 'ping p50 ms', 'ping p99 ms'],
    [row('plain (generate)', plain), row('streamed (progress)', streamed)],
  );
  return { report, figures: { megabytes, rounds, plain, streamed } };
}
