import { startBridge, type Bridge } from './bridge.js';

export interface Replica {
  /** The replica's own `/mcp`. */
  url: string;
  /** `127.0.0.1:PORT`, as a balancer names it (and logs it in `$upstream_addr`). */
  address: string;
  /** The built bin serving it. */
  bridge: Bridge;
}

/** `count` built bins over HTTP on one Mastra server, each with `args(i)`; all listening before this resolves. */
export async function startReplicas(
  count: number,
  mastraUrl: string,
  args: (i: number) => string[],
  env: Record<string, string> = {},
): Promise<{ replicas: Replica[]; close(): Promise<void> }> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      startBridge({ mastraUrl, transport: 'http', bin: true, client: 'none', args: args(i), env: { LOG_LEVEL: 'warn', ...env } }),
    ),
  );
  const bridges = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const close = async () => {
    await Promise.all(bridges.map((bridge) => bridge.close()));
  };
  const failed = started.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  return { replicas: bridges.map((bridge) => ({ url: bridge.url, address: new URL(bridge.url).host, bridge })), close };
}
