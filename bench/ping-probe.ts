/**
 * `tsx bench/ping-probe.ts <mcp url>`: one more session of the bridge, in a process of its own so
 * that the Mastra fixture's work in the benchmark's process does not delay it. Pings one after
 * another until stdin ends, then prints the latencies (ms) as JSON.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const client = new Client({ name: 'ping-probe', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(process.argv[2]!)));
let stop = false;
process.stdin.on('end', () => (stop = true)).resume();
process.stdout.write('ready\n');
const latencies: number[] = [];
while (!stop) {
  const start = performance.now();
  await client.ping();
  latencies.push(performance.now() - start);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
await client.close();
process.stdout.write(`${JSON.stringify(latencies)}\n`);
