import { Client as ModernClient } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttp } from '../src/transports/http.js';
import { BIN, clientFor, MODERN_VERSION, startStack, textOf, type Stack } from './helpers.js';
import { catalogueOf, frontDefaults, httpDefaults } from './support/defaults.js';

/** Agent tool approval over the real transports: Streamable HTTP (2025) and the stdio bin (both eras), and --auto-approve-tools on the bin. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

const runs = () => ({ ...stack.mastra.approvalToolRuns });

describe('agent tool approval over Streamable HTTP, 2025-11-25', () => {
  it("the elicitation travels on the call's own stream; approved, the tool runs once", async () => {
    const catalogue = catalogueOf(clientFor(stack.mastra.url));
    await catalogue.refresh();
    const http = await startHttp({ ...frontDefaults(), ...httpDefaults(), catalogue, client: clientFor(stack.mastra.url), baseUrl: stack.mastra.url });
    const client = new Client({ name: 'person', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    const questions: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      questions.push(request.params.message);
      return { action: 'accept', content: { approved: true } };
    });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
      const before = runs().banker;
      const result = await client.callTool({ name: 'ask_banker', arguments: { message: 'over http' } });
      expect(questions).toHaveLength(1);
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runs().banker).toBe(before + 1);
    } finally {
      await client.close();
      await http.close({ graceMs: 0 });
    }
  });
});

describe('agent tool approval over the stdio bin, both eras', () => {
  const binParams = () => ({
    command: process.execPath,
    args: [BIN],
    env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn' },
    stderr: 'pipe' as const,
  });

  it('2025-11-25: asked through elicitation/create, approved, the tool runs once', async () => {
    const client = new Client({ name: 'person', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    const questions: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      questions.push(request.params.message);
      return { action: 'accept', content: { approved: true } };
    });
    await client.connect(new StdioClientTransport(binParams()));
    const before = runs().banker;
    const result = await client.callTool({ name: 'ask_banker', arguments: { message: 'over stdio' } });
    await client.close();
    expect(questions).toHaveLength(1);
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
  });

  it('2026-07-28: asked through input_required, declined, the tool never runs', async () => {
    const client = new ModernClient(
      { name: 'person', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN_VERSION } } },
    );
    const questions: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(String((request.params as { message?: string }).message));
      return { action: 'decline' } as never;
    });
    await client.connect(new ModernStdioClientTransport(binParams()));
    const before = runs().banker;
    const result = await client.callTool({ name: 'ask_banker', arguments: { message: 'over stdio' } });
    await client.close();
    expect(questions).toHaveLength(1);
    expect(textOf(result)).not.toContain('{"sum":5}');
    expect(runs().banker).toBe(before);
  });
});

describe('--auto-approve-tools on the bin', () => {
  for (const [how, args, env] of [
    ['the flag', ['--auto-approve-tools'], {}],
    ['its env twin', [], { MCP_AUTO_APPROVE_TOOLS: '1' }],
  ] as const) {
    it(`${how}: nobody is asked, the tool runs once`, async () => {
      const client = new Client({ name: 'auto', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [BIN, ...args],
          env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn', ...env },
          stderr: 'pipe',
        }),
      );
      const before = runs().cautious;
      const result = await client.callTool({ name: 'ask_cautious', arguments: { message: 'add' } });
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runs().cautious).toBe(before + 1);
      await client.close();
    });
  }
});
