/**
 * Sums a V8 CPU profile's samples by the layer of code they fell in: the bridge's own code, the MCP
 * SDK and its HTTP adapters, the web Request/Response/streams those build, undici's fetch to
 * Mastra, client-js, zod, the rest of Node's core, the garbage collector, and V8's own work. Node's
 * web Request, Response and Headers are undici's too: a sample there counts for the MCP transports
 * when an MCP SDK frame is on its stack, else for the fetch to Mastra. Idle time is left out: what
 * remains is the CPU the process spent.
 */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export const LAYERS = [
  'the bridge’s own code',
  'MCP SDK and its HTTP adapters',
  'web Request/Response/streams of the MCP transports',
  'undici and web streams: the fetch to Mastra',
  '@mastra/client-js',
  'zod (the SDK’s message checks)',
  'Node core (HTTP, net, streams, events, timers)',
  'garbage collector',
  'V8 and native (JSON, buffers, writes)',
  'other libraries',
] as const;
export type Layer = (typeof LAYERS)[number];

type Frame = CpuProfile['nodes'][number]['callFrame'];

const isSdk = (url: string) => url.includes('/@modelcontextprotocol/') || url.includes('/@hono/node-server/');
const isWebPlumbing = (url: string) => url.includes('/deps/undici/') || url.startsWith('node:internal/webstreams');

function layerOf({ functionName, url }: Frame, binDir: string, underSdk: boolean): Layer | undefined {
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (url.startsWith(binDir) && !url.includes('/node_modules/')) return 'the bridge’s own code';
  if (isSdk(url)) return 'MCP SDK and its HTTP adapters';
  if (isWebPlumbing(url)) return underSdk ? 'web Request/Response/streams of the MCP transports' : 'undici and web streams: the fetch to Mastra';
  if (url.includes('/@mastra/client-js/')) return '@mastra/client-js';
  if (url.includes('/node_modules/zod/')) return 'zod (the SDK’s message checks)';
  if (url.startsWith('node:')) return 'Node core (HTTP, net, streams, events, timers)';
  if (url === '') return 'V8 and native (JSON, buffers, writes)';
  return 'other libraries';
}

/** Microseconds of CPU per layer; `binDir` is the URL prefix of the bridge's own files (`file:///…/dist/`). */
export function cpuByLayer(profile: CpuProfile, binDir: string): Map<Layer, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Whether an MCP SDK frame is on each node's stack: the tree is walked from its root, parents first.
  const underSdk = new Map<number, boolean>();
  const walk = (id: number, above: boolean) => {
    const node = byId.get(id)!;
    const here = above || isSdk(node.callFrame.url);
    underSdk.set(id, here);
    for (const child of node.children ?? []) walk(child, here);
  };
  walk(profile.nodes[0]!.id, false);
  const totals = new Map<Layer, number>();
  profile.samples.forEach((id, i) => {
    const layer = layerOf(byId.get(id)!.callFrame, binDir, underSdk.get(id) ?? false);
    // A sample lasts until the next one: its time is the next delta.
    if (layer) totals.set(layer, (totals.get(layer) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  return totals;
}
