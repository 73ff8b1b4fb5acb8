/**
 * `tsx bench/mastra-process.ts [--peer]`: a fresh Mastra fixture (with the slow `slowest` agent) in a
 * process of its own, and with `--peer` Mastra's own MCPServer inside it, so that each in-flight run
 * measures a process that nothing before it has grown. Its fake model runs in a further process
 * (bench/model-process.ts): thousands of model streams would otherwise load Mastra's event loop and
 * memory, in the peer's runs and the bridge's alike. Prints one line of JSON ({mastraUrl, peerUrl?})
 * and runs until stdin ends.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startMastraFixture } from '../test/fixture/mastra-app.js';
import { startMastraMcpPeer } from './mastra-peer.js';

process.env.MASTRA_TELEMETRY_DISABLED ??= '1';
process.env.MASTRA_OFFLINE ??= '1';

const model = spawn(process.execPath, ['--import', 'tsx', new URL('./model-process.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
const { modelUrl } = await new Promise<{ modelUrl: string }>((resolve, reject) => {
  createInterface({ input: model.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  model.once('exit', (code) => reject(new Error(`the fake model's process exited (${code})`)));
});
const mastra = await startMastraFixture({ slowestAgent: true, modelUrl });
const peer = process.argv.includes('--peer') ? await startMastraMcpPeer(mastra, ['slowest', 'echo']) : undefined;
process.stdout.write(`${JSON.stringify({ mastraUrl: mastra.url, peerUrl: peer?.url })}\n`);
process.stdin.on('end', async () => {
  await peer?.close();
  await mastra.close();
  const exited = new Promise((resolve) => model.once('exit', resolve));
  model.stdin.end();
  await exited;
  process.exit(0);
});
process.stdin.resume();
