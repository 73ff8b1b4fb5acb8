/**
 * `tsx bench/ping-probe.ts <mcp url> [--modern] [--tools-list]`: one more caller of the bridge (or the
 * peer), in a process of its own so that the Mastra fixture's work in the benchmark's process does not
 * delay it. Pings (or lists the tools) one after another until stdin ends, then prints the latencies
 * (ms) as JSON. `--modern` makes it a 2026-07-28 client instead of a 2025-11-25 session.
 */
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { setMaxListeners } from 'node:events';

// The v1 client adds a listener per request to one long-lived signal: thousands of requests are no leak here.
setMaxListeners(0);
const url = new URL(process.argv[2]!);
const listTools = process.argv.includes('--tools-list');
let ask: () => Promise<unknown>;
let close: () => Promise<void>;
if (process.argv.includes('--modern')) {
  const client = new ModernClient({ name: 'ping-probe', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new ModernTransport(url));
  // Never from the client's cache: the bridge's cache hint would let it skip the round trip.
  ask = listTools ? () => client.listTools(undefined, { cacheMode: 'bypass' }) : () => client.ping();
  close = () => client.close();
} else {
  const client = new Client({ name: 'ping-probe', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url));
  // A raw tools/list: Client.listTools() would add the client's own cost of compiling a validator per tool.
  ask = listTools ? () => client.request({ method: 'tools/list' }, ListToolsResultSchema) : () => client.ping();
  close = () => client.close();
}
let stop = false;
process.stdin.on('end', () => (stop = true)).resume();
process.stdout.write('ready\n');
const latencies: number[] = [];
while (!stop) {
  const start = performance.now();
  // A failure counts as the time it took: under load a reset must not end the probe.
  await ask().catch(() => {});
  latencies.push(performance.now() - start);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await close().catch(() => {});
process.stdout.write(`${JSON.stringify(latencies)}\n`);
