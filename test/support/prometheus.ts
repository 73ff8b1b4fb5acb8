import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemProgram } from './system-programs.js';
import { closedPort } from './waiting.js';

export interface PrometheusServer {
  url: string;
  /** The value of an instant PromQL query through the HTTP API (`/api/v1/query`), summed over its series; undefined when it has none. */
  query(promql: string): Promise<number | undefined>;
  /** The scrape targets as Prometheus sees them (`/api/v1/targets`): health and last error. */
  targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

export interface ScrapeTarget {
  /** `127.0.0.1:PORT` of a /metrics endpoint. */
  hostPort: string;
  /** Sent as `Authorization: Bearer <it>`, from a file of its own (Prometheus never prints it). */
  bearerToken?: string;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

/** Resolves once /-/ready answers 200; rejects with Prometheus' output if it exits first. */
async function ready(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output()}`);
    const answer = await fetch(`${url}/-/ready`).catch(() => undefined);
    if (answer?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`prometheus did not become ready: ${output()}`);
}

/**
 * A real Prometheus of its own (Debian's `prometheus`) on a free loopback port, with its own config and
 * TSDB directory, scraping `targets` every second.
 */
export async function startPrometheus(targets: ScrapeTarget[]): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-prometheus-'));
  const port = await closedPort();
  const jobs = await Promise.all(
    targets.map(async ({ hostPort, bearerToken }, i) => {
      const auth = bearerToken === undefined ? [] : [`    authorization:`, `      type: Bearer`, `      credentials_file: ${join(dir, `token-${i}`)}`];
      if (bearerToken !== undefined) await writeFile(join(dir, `token-${i}`), bearerToken, { mode: 0o600 });
      return [
        `  - job_name: bridge-${i}`,
        '    scrape_interval: 1s',
        '    scrape_timeout: 1s',
        ...auth,
        '    static_configs:',
        `      - targets: ['${hostPort}']`,
      ];
    }),
  );
  const config = join(dir, 'prometheus.yml');
  await writeFile(config, ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', ...jobs.flat()].join('\n'));
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    systemProgram('prometheus')!,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  const stop = async () => {
    child.kill('SIGKILL');
    await exited(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await ready(child, url, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async query(promql) {
      const answer = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
        status: string;
        error?: string;
        data?: { result: { value: [number, string] }[] };
      };
      if (answer.status !== 'success') throw new Error(`PromQL ${promql} failed: ${answer.error}`);
      const series = answer.data!.result;
      return series.length ? series.reduce((sum, { value }) => sum + Number(value[1]), 0) : undefined;
    },
    async targets() {
      const answer = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
        data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
      };
      return answer.data.activeTargets;
    },
    stop,
  };
}
