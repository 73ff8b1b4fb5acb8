import { spawnHttpBin, type SpawnedBridge } from '../http-helpers.js';

export interface Replica {
  /** The replica's own `/mcp`. */
  url: string;
  /** `127.0.0.1:PORT`, as a balancer names it (and logs it in `$upstream_addr`). */
  address: string;
  bin: SpawnedBridge;
}

/** `count` built bins over HTTP on one Mastra server, each with `args(i)`; all listening before this resolves. */
export async function startReplicas(
  count: number,
  args: (i: number) => string[],
  env: Record<string, string>,
): Promise<{ replicas: Replica[]; close(): Promise<void> }> {
  const bins = Array.from({ length: count }, (_, i) => spawnHttpBin(args(i), { LOG_LEVEL: 'warn', ...env }));
  const close = async () => {
    await Promise.all(
      bins.map((bin) => {
        if (bin.child.exitCode !== null) return undefined;
        bin.child.kill('SIGTERM');
        return bin.exited;
      }),
    );
  };
  try {
    const urls = await Promise.all(bins.map((bin) => bin.url));
    return { replicas: urls.map((url, i) => ({ url, address: new URL(url).host, bin: bins[i]! })), close };
  } catch (error) {
    await close();
    throw error;
  }
}
