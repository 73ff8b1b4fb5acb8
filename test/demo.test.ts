import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { waitFor } from './support/waiting.js';

const TSX = new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
const DEMO = new URL('./fixture/demo.ts', import.meta.url).pathname;

describe('npm run demo', () => {
  it('on a taken port, picks a free one and prints commands that reach it', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;
    const demo = spawn(process.execPath, [TSX, DEMO], { env: { PATH: process.env.PATH ?? '', DEMO_PORT: String(taken) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => demo.on('exit', resolve));
    let stdout = '';
    let stderr = '';
    demo.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    demo.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await Promise.race([
        waitFor('the demo to print its commands', () => stdout.includes('Press Ctrl+C'), 30_000),
        exited.then((code) => {
          throw new Error(`the demo exited ${code}: ${stderr}`);
        }),
      ]);
      const url = /MASTRA_BASE_URL=(http:\/\/127\.0\.0\.1:(\d+)) --method tools\/list/.exec(stdout)!;
      expect(Number(url[2])).not.toBe(taken);
      expect(stdout).toContain(`Port ${taken} (DEMO_PORT) is taken by another program, so the demo uses port ${url[2]} instead.`);
      expect(stdout).not.toContain('set DEMO_PORT');
      const bridge = await startBridge({ mastraUrl: url[1]!, transport: 'stdio' });
      const { tools } = await bridge.client.listTools();
      expect(tools.map((t) => t.name)).toContain('ask_calculator');
      await bridge.close();
    } finally {
      demo.kill('SIGTERM');
      squatter.close();
    }
    expect(await exited).toBe(0);
  });
});
