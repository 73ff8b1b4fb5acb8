import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES } from './support/mcp-clients.js';
import { closedPort } from './support/waiting.js';

/** The bin in this process: its exit code and the lines it wrote on stderr. */
async function run(argv: string[], env: Record<string, string> = {}) {
  let stderr = '';
  const code = await main(argv, env, { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } });
  return { code, lines: stderr.trim().split('\n') };
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
});
afterAll(async () => {
  await stack?.close();
});

describe('the words of the command line', () => {
  it('a URL given without a flag is pointed to --mastra-url and MASTRA_BASE_URL', async () => {
    const { code, lines } = await run(['http://localhost:4111']);
    expect(code).toBe(1);
    expect(lines).toEqual([
      expect.stringContaining(
        'unexpected argument "http://localhost:4111": give the Mastra server as --mastra-url http://localhost:4111 (or in MASTRA_BASE_URL)',
      ),
    ]);
  });

  it('another bare argument names what the bridge takes', async () => {
    const { code, lines } = await run(['serve']);
    expect(code).toBe(1);
    expect(lines).toEqual([expect.stringContaining('unexpected argument "serve": the bridge takes only options, and the subcommands doctor and install')]);
  });

  it('--port and other HTTP flags under stdio are said to be ignored, in one line (through the bin)', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', args: ['--port', '3001', '--max-sessions', '5'] });
    try {
      expect((await bridge.client.listTools()).tools.length).toBeGreaterThan(0);
      const warnings = bridge
        .stderr()
        .split('\n')
        .filter((line) => line.includes('for --transport http'));
      expect(warnings).toEqual([expect.stringMatching(/warn: --port, --max-sessions are for --transport http: ignored, since this bridge serves stdio$/)]);
    } finally {
      await bridge.close();
    }
  });
});

describe.each(ERA_CASES)('a call while Mastra was never reached ($name)', ({ era }) => {
  it('says it cannot reach the Mastra server, at its URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const bridge = await startBridge({ mastraUrl: url, transport: 'stdio', era, env: { LOG_LEVEL: 'warn' } });
    try {
      await expect(bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'hi' } })).rejects.toThrow(`Cannot reach the Mastra server at ${url} (`);
    } finally {
      await bridge.close();
    }
  });
});

describe('/readyz', () => {
  it('counts the workflows it serves beside the agents', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
    try {
      const body = (await (await fetch(new URL('/readyz', bridge.url))).json()) as { agents: number; workflows: number };
      expect(body.agents).toBe(bridge.catalogue!.tools.length);
      expect(body.workflows).toBe(bridge.catalogue!.workflows.length);
      expect(body.workflows).toBeGreaterThan(0);
    } finally {
      await bridge.close();
    }
  });
});
