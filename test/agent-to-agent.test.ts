import { Agent } from '@mastra/core/agent';
import { MCPClient } from '@mastra/mcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';

const SECRET = 'agent-to-agent-secret';

let stack: Stack;
let bridge: Bridge;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', serviceToken: signJwt(SECRET, { sub: 'svc' }) });
});
afterAll(async () => {
  await bridge?.close();
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
      const question = marked('who is asking?');
      const result = await orchestrator.generate(question);
      expect(result.toolCalls.map((call) => call.payload.toolName)).toEqual(['bridge_ask_whoami']);
      // The bridged agent ran as the token's user, and the orchestrator's answer carries what it said.
      expect(result.text).toMatch(/^The tool said .*revealed: user=erin tenant=none/);
      // The bridged agent was asked the question itself.
      expect(stack.requestsFor(question).map((r) => r.model)).toEqual(['delegate-ask_whoami', 'reveal', 'delegate-ask_whoami']);
    } finally {
      await mcp.disconnect();
    }
  });
});
