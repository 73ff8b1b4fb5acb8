import { MCPClient } from '@mastra/mcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bridge, startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';

/** The README's MCPClient 2.0 example: its per-server `inputRequests` handler answers the bridge's questions (2026-07-28 input_required). */
let stack: Stack;
let bridge: Bridge;
beforeAll(async () => {
  stack = await startStack({ workflows: true, approvalAgents: true });
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await stack?.close();
});

describe("@mastra/mcp's MCPClient with an inputRequests handler", () => {
  it('answers a suspended workflow step and an agent tool approval, and gets the results', async () => {
    const asked: string[] = [];
    const mcp = new MCPClient({
      id: 'input-requests-test',
      servers: {
        bridge: {
          url: new URL(bridge.url),
          inputRequests: async ({ params }) => {
            if (params.mode === 'url') return { action: 'decline' };
            asked.push(params.message);
            const form = Object.keys((params.requestedSchema as { properties: object }).properties);
            const content: Record<string, string | boolean> = form.includes('note') ? { approved: true, note: 'fine' } : { approved: true };
            return { action: 'accept', content };
          },
        },
      },
    });
    try {
      const tools = await mcp.listTools();
      const expense = await tools.bridge_run_expense!.execute!({ item: 'desk', amount: 300 }, {} as never);
      expect(expense).toEqual({ status: 'approved: fine' });
      const banker = await tools.bridge_ask_banker!.execute!({ message: 'pay Bob 2' }, {} as never);
      expect(JSON.stringify(banker)).toContain('The tool said');
      expect(stack.mastra.approvalToolRuns.banker).toBe(1);
      expect(asked).toEqual([
        expect.stringContaining('The workflow "expense" waits for your answer'),
        expect.stringContaining('Agent "Banker" wants to call tool "transfer"'),
      ]);
    } finally {
      await mcp.disconnect();
    }
  });
});
