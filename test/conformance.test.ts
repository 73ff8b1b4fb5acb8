import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from './support/conformance-checks.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';

const run = promisify(execFile);
/** The official suite, pinned in package.json; it needs Node 22, which runs these tests. */
const CONFORMANCE = new URL('../node_modules/@modelcontextprotocol/conformance/dist/index.js', import.meta.url).pathname;

/** Its tools-call-* scenarios need fixture tools of the suite's own (test_simple_text…) and do not apply. */
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'logging-set-level', 'server-sse-multiple-streams', 'dns-rebinding-protection'];

let stack: Stack;
let bridge: Bridge;
let output: string;
beforeAll(async () => {
  stack = await startStack();
  // The suite cannot send headers, so it runs against the loopback, token-less mode.
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
  output = await mkdtemp(join(tmpdir(), 'mastra-agents-mcp-conformance-'));
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
  if (output) await rm(output, { recursive: true, force: true });
});

describe('MCP conformance suite over Streamable HTTP', () => {
  it.each(SCENARIOS)('%s passes', async (scenario) => {
    const dir = join(output, scenario);
    const result = await run(process.execPath, [CONFORMANCE, 'server', '--url', bridge.url, '--scenario', scenario, '-o', dir]).catch(
      (error: { code: number; stdout: string }) => error,
    );
    const [resultDir] = await readdir(dir);
    const checks = JSON.parse(await readFile(join(dir, resultDir!, 'checks.json'), 'utf8')) as Check[];
    const failures = checks.filter((check) => check.status === 'FAILURE').map(({ id, errorMessage }) => ({ id, errorMessage }));
    expect(failures, result.stdout).toEqual([]);
    expect(checks.filter((check) => check.status === 'SUCCESS').length).toBeGreaterThan(0);
    expect('code' in result ? result.code : 0).toBe(0);
  });
});
