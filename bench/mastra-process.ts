/**
 * `tsx bench/mastra-process.ts [--peer]`: a fresh Mastra fixture (with the slow `slowest` agent and
 * its fake model) in a process of its own, and with `--peer` Mastra's own MCPServer inside it, so
 * that each in-flight run measures a process that nothing before it has grown. Prints one line of
 * JSON ({mastraUrl, peerUrl?}) and runs until stdin ends.
 */
import { startStack } from '../test/support/mastra.js';
import { startMastraMcpPeer } from './mastra-peer.js';

process.env.MASTRA_TELEMETRY_DISABLED ??= '1';
process.env.MASTRA_OFFLINE ??= '1';

const stack = await startStack({ slowestAgent: true });
const peer = process.argv.includes('--peer') ? await startMastraMcpPeer(stack.mastra, ['slowest', 'echo']) : undefined;
process.stdout.write(`${JSON.stringify({ mastraUrl: stack.mastra.url, peerUrl: peer?.url })}\n`);
process.stdin.on('end', async () => {
  await peer?.close();
  await stack.close();
  process.exit(0);
});
process.stdin.resume();
