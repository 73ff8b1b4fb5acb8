import { Agent } from '@mastra/core/agent';
import { MCPClient } from '@mastra/mcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';
import { signJwt, startHttpBridge } from './http-helpers.js';

const SECRET = 'agent-to-agent-secret';

let stack: Stack;
let bridge: Awaited<ReturnType<typeof startHttpBridge>>;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startHttpBridge(stack.mastra.url, { serviceToken: signJwt(SECRET, { sub: 'svc' }) });
});
afterAll(async () => {
  await bridge?.close({ graceMs: 0 });
  await stack?.close();
});

describe('agent to agent', () => {
  it("a Mastra agent whose tools come from @mastra/mcp's MCPClient calls a bridged agent and uses its answer", async () => {
    const mcp = new MCPClient({
      id: 'agent-to-agent-test',
      servers: { bridge: { url: new URL(bridge.url), requestInit: { headers: { Authorization: `Bearer ${signJwt(SECRET, { sub: 'erin' })}` } } } },
    });
    try {
      const tools = await mcp.listTools();
      expect(Object.keys(tools)).toContain('bridge_ask_whoami');
      const orchestrator = new Agent({
        id: 'orchestrator',
        name: 'Orchestrator',
        instructions: 'Ask the whoami agent who is calling, then tell the user.',
        model: { id: 'fake/delegate-ask_whoami', url: stack.model.url, apiKey: 'x' },
        tools,
      });
      const result = await orchestrator.generate('who is asking?');
      expect(result.toolCalls.map((call) => call.payload.toolName)).toEqual(['bridge_ask_whoami']);
      // The bridged agent ran as the token's user, and the orchestrator's answer carries what it said.
      expect(result.text).toMatch(/^The tool said .*revealed: user=erin tenant=none/);
      expect(stack.model.requests.map((r) => r.model)).toEqual(['delegate-ask_whoami', 'reveal', 'delegate-ask_whoami']);
    } finally {
      await mcp.disconnect();
    }
  });
});
