import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';

/** Claude Code's name for a tool of the server it calls "mastra-agents": past 64 characters its tool search breaks. */
const claudeCodeName = (tool: string) => `mcp__mastra-agents__${tool}`;

let stack: Stack;
let bridge: ClientBridge<Client>;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

/** Every subschema of a JSON Schema, with its path, through properties, items and additionalProperties. */
function* subschemas(schema: Record<string, unknown>, path = '$'): Generator<[string, Record<string, unknown>]> {
  yield [path, schema];
  for (const [key, value] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) yield* subschemas(value, `${path}.${key}`);
  if (schema.items && typeof schema.items === 'object') yield* subschemas(schema.items as Record<string, unknown>, `${path}[]`);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
    yield* subschemas(schema.additionalProperties as Record<string, unknown>, `${path}{}`);
}

describe('tools that fit what clients accept', () => {
  it('names at most 44 characters by default, so that Claude Code prefixed names stay within 64', async () => {
    const { tools } = await bridge.client.listTools();
    const long = tools.find((tool) => tool.name.startsWith('ask_a-very-long-agent-identifier'))!;
    expect(long.name).toHaveLength(44);
    expect(long.name).toMatch(/_[0-9a-f]{8}$/);
    for (const tool of tools) {
      expect(tool.name.length).toBeLessThanOrEqual(44);
      expect(claudeCodeName(tool.name).length).toBeLessThanOrEqual(64);
    }
  });

  it('--max-tool-name sets the bound, and the names stay stable under it (through the bin)', async () => {
    const listNames = async () => {
      const spawned = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', args: ['--max-tool-name', '20'] });
      try {
        return (await spawned.client.listTools()).tools.map((tool) => tool.name);
      } finally {
        await spawned.close();
      }
    };
    const [first, second] = [await listNames(), await listNames()];
    expect(second).toEqual(first);
    for (const name of first) expect(name.length).toBeLessThanOrEqual(20);
    expect(first).toContain('ask_echo');
    expect(first.filter((name) => name.startsWith('ask_team_al'))).toHaveLength(2);
  });

  it.each(['0', '129', 'ten'])('--max-tool-name %s is refused with one line saying what is valid', async (value) => {
    let stderr = '';
    const code = await main(['--max-tool-name', value], {}, { stdout: { write: () => true }, stderr: { write: (text: string) => (stderr += text) } });
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--max-tool-name="[^"]*" must be/);
  });

  it('an agent tool declares a type for every value of its output, and a description for every input field', async () => {
    const { tools } = await bridge.client.listTools();
    const agentTools = tools.filter((tool): tool is Tool & { outputSchema: Record<string, unknown> } => tool.name.startsWith('ask_'));
    expect(agentTools.length).toBeGreaterThan(0);
    for (const tool of agentTools) {
      for (const [path, schema] of subschemas(tool.outputSchema)) expect(schema.type, `${tool.name} output ${path}`).toBeDefined();
      for (const [path, schema] of subschemas(tool.inputSchema as Record<string, unknown>)) {
        expect(schema.type, `${tool.name} input ${path}`).toBeDefined();
        if (/^\$\.[^.[{]+$/.test(path)) expect(schema.description, `${tool.name} input ${path}`).toEqual(expect.any(String));
      }
    }
  });
});
