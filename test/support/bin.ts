import { spawn, spawnSync, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { waitFor } from './waiting.js';

/** The built bin, as `npm install` leaves it (`npm test` rebuilds it first). */
export const BIN = new URL('../../dist/cli.js', import.meta.url).pathname;

/** The bin's environment: PATH and `env` only, so that nothing leaks in from the test's own. */
export const binEnv = (env: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '', ...env });

/** Runs the bin to its end with stdin closed at once: for --help, --version and configuration errors. */
export function runBin(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { env: binEnv(env), encoding: 'utf8', input: '' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The command line that runs the bin: `launcher` (a command that execs it, such as prlimit) first. */
export const binCommand = (args: string[], launcher: string[] = []): [string, string[]] =>
  launcher.length ? [launcher[0]!, [...launcher.slice(1), process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];

export interface SpawnedBin {
  child: ChildProcessWithoutNullStreams;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  exited: Promise<number | null>;
}

/** The bin spawned with every stdio piped; its stderr is kept. */
export function spawnBin(args: string[], env: Record<string, string>, launcher?: string[]): SpawnedBin {
  const [command, argv] = binCommand(args, launcher);
  const child = spawn(command, argv, { env: binEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  return { child, stderr: () => stderr, exited: exitOf(child) };
}

export const exitOf = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

/** Resolves with the URL of its "listening on" line, or rejects with its stderr if it exits first. */
export function listeningUrl(bin: SpawnedBin): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const look = () => {
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(bin.stderr());
      if (match) resolve(match[1]!);
    };
    bin.child.stderr.on('data', look);
    look();
    void bin.exited.then((code) => reject(new Error(`the bin exited with ${code} before listening: ${bin.stderr()}`)));
  });
}

/** The URL of the metrics endpoint a bin on `--metrics-port` says it serves (`metrics at http://…/metrics`), once it says so. */
export const metricsUrl = (bin: { stderr(): string }): Promise<URL> =>
  waitFor('the metrics URL', () => {
    const match = /metrics at (http:\/\/\S+\/metrics)/.exec(bin.stderr());
    return match ? new URL(match[1]!) : undefined;
  });

/** Stops the bin at once (SIGKILL; a stopped one too) and waits for it to be gone. */
export async function killBin(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exitOf(child);
  child.kill('SIGKILL');
  await gone;
}
