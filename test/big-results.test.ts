import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigAnswer } from './fixture/fake-model.js';
import { BULKY_CHARS_PER_MB } from './fixture/workflows.js';
import { startBridge } from './support/bridge.js';
import { DEFAULTS } from './support/defaults.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, textOf, type Era } from './support/mcp-clients.js';

const LIMIT = DEFAULTS.maxResultChars;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ bigAgent: true, bulkyWorkflow: true });
});
afterAll(async () => {
  await stack?.close();
});

/** "[Cut by the bridge: 900,000 of these 1,000,000 characters are not shown …": how many were cut, of how many. */
function cutOf(text: string): { cut: number; of: number } | undefined {
  const match = /\[Cut by the bridge: ([\d,]+) of these ([\d,]+) characters are not shown/.exec(text);
  return match ? { cut: Number(match[1]!.replace(/,/g, '')), of: Number(match[2]!.replace(/,/g, '')) } : undefined;
}

/** A client of `era`: 2025-11-25 in memory, 2026-07-28 over HTTP. */
const sessionOf = (era: Era) => startBridge({ mastraUrl: stack.mastra.url, transport: era === 'legacy' ? 'in-memory' : 'http', era });

describe.each(ERA_CASES)('big results ($name)', ({ era }) => {
  it('every tool tells Claude Code how long a result may be', async () => {
    const session = await sessionOf(era);
    try {
      const { tools } = await session.client.listTools();
      expect(LIMIT).toBeGreaterThan(0);
      for (const tool of tools) expect(tool._meta?.['anthropic/maxResultSizeChars'], tool.name).toBe(LIMIT);
    } finally {
      await session.close();
    }
  });

  it("an agent's answer over the limit is cut, saying how much and where the rest is; structuredContent keeps it whole", async () => {
    const session = await sessionOf(era);
    try {
      const result = (await session.client.callTool({ name: 'ask_big', arguments: { message: '1' } })) as CallToolResult;
      const text = textOf(result);
      const whole = bigAnswer(1);
      expect(text.length).toBeLessThanOrEqual(LIMIT);
      expect(text).toContain("The whole value is in this result's structuredContent.");
      expect(cutOf(text)).toEqual({ cut: whole.length - text.indexOf('\n\n[Cut by the bridge'), of: whole.length });
      expect(whole.startsWith(text.slice(0, text.indexOf('\n\n[Cut by the bridge')))).toBe(true);
      expect((result.structuredContent as { text: string }).text === whole).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("a workflow's big output is sent once in full, in structuredContent, and its text is a cut of it", async () => {
    const session = await sessionOf(era);
    try {
      const result = (await session.client.callTool({ name: 'run_bulky', arguments: { megabytes: 2 } })) as CallToolResult;
      const output = 2 * BULKY_CHARS_PER_MB;
      expect((result.structuredContent as { text: string }).text).toHaveLength(output);
      expect(textOf(result).length).toBeLessThanOrEqual(LIMIT);
      expect(cutOf(textOf(result))?.of).toBe(JSON.stringify({ text: 'x'.repeat(output) }).length);
      expect(JSON.stringify(result).length).toBeLessThan(output + LIMIT + 1_000);
    } finally {
      await session.close();
    }
  });
});

describe('--max-result-chars', () => {
  it('sets the limit through the bin, and what a tool declares', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', args: ['--max-result-chars', '1000'] });
    try {
      const { tools } = await bridge.client.listTools();
      expect(tools.find((tool) => tool.name === 'ask_echo')?._meta?.['anthropic/maxResultSizeChars']).toBe(1000);
      const result = (await bridge.client.callTool({ name: 'ask_echo', arguments: { message: 'y'.repeat(5_000) } })) as CallToolResult;
      expect(textOf(result).length).toBeLessThanOrEqual(1000);
      expect(cutOf(textOf(result))?.of).toBe('echo: '.length + 5_000);
    } finally {
      await bridge.close();
    }
  });
});
