import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalToolCall } from './fixture/mastra-app.js';
import { startBridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { approve, decline } from './support/person.js';

/** Agent tool approval over the real transports: Streamable HTTP (2025) and the stdio bin (both eras), and --auto-approve-tools on the bin. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

/** How often `agent`'s gated tool ran for `message`. */
const runsOf = (agent: ApprovalToolCall['agent'], message: string) =>
  stack.mastra.approvalToolRuns.calls.filter((call) => call.agent === agent && call.message === message).length;

describe('agent tool approval over Streamable HTTP, 2025-11-25', () => {
  it("the elicitation travels on the call's own stream; approved, the tool runs once", async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', elicit: approve });
    try {
      const message = marked('over http');
      const result = await bridge.client.callTool({ name: 'ask_banker', arguments: { message } });
      expect(bridge.questions).toHaveLength(1);
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runsOf('banker', message)).toBe(1);
    } finally {
      await bridge.close();
    }
  });
});

describe('agent tool approval over the stdio bin, both eras', () => {
  it('2025-11-25: asked through elicitation/create, approved, the tool runs once', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', elicit: approve, env: { LOG_LEVEL: 'warn' } });
    const message = marked('over stdio');
    const result = await bridge.client.callTool({ name: 'ask_banker', arguments: { message } });
    await bridge.close();
    expect(bridge.questions).toHaveLength(1);
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runsOf('banker', message)).toBe(1);
  });

  it('2026-07-28: asked through input_required, declined, the tool never runs', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', era: 'modern', elicit: decline, env: { LOG_LEVEL: 'warn' } });
    const message = marked('over stdio');
    const result = await bridge.client.callTool({ name: 'ask_banker', arguments: { message } });
    await bridge.close();
    expect(bridge.questions).toHaveLength(1);
    expect(textOf(result)).not.toContain('{"sum":5}');
    expect(runsOf('banker', message)).toBe(0);
  });
});

describe('--auto-approve-tools on the bin', () => {
  for (const [how, args, env] of [
    ['the flag', ['--auto-approve-tools'], {}],
    ['its env twin', [], { MCP_AUTO_APPROVE_TOOLS: '1' }],
  ] as const) {
    it(`${how}: nobody is asked, the tool runs once`, async () => {
      const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', args: [...args], env: { LOG_LEVEL: 'warn', ...env } });
      const message = marked('add');
      const result = await bridge.client.callTool({ name: 'ask_cautious', arguments: { message } });
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runsOf('cautious', message)).toBe(1);
      await bridge.close();
    });
  }
});
