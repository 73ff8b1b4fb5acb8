import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepCatalogueFresh } from '../src/catalogue/refresh.js';
import { createLogger } from '../src/log.js';
import { HOSTILE_IDS, TARGET_IDS, UNADDRESSABLE_IDS } from './fixture/mastra-app.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { clientFor, marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { catalogueOf, refreshDefaults } from './support/defaults.js';

let stack: Stack;
let bridge: ClientBridge;
let tools: Tool[];
const stale: string[] = [];

beforeAll(async () => {
  stack = await startStack({ hostileAgents: true });
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
  bridge.catalogue!.on('stale', (agentId) => stale.push(agentId));
  ({ tools } = await bridge.client.listTools());
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

/** Each fixture agent's title is its id. */
const toolFor = (id: string) => tools.find((tool) => tool.title === id);

describe('agent ids with URL characters', () => {
  it.each([...HOSTILE_IDS, ...TARGET_IDS])(
    '%j is offered, a plain and a streamed call each reach exactly that agent, and none is taken for a vanished one',
    async (id) => {
      const tool = toolFor(id);
      expect(tool, `a tool for ${JSON.stringify(id)}`).toBeDefined();
      const plain = (await bridge.client.callTool({ name: tool!.name, arguments: { message: 'who are you?' } })) as CallToolResult;
      const progress: string[] = [];
      const streamed = (await bridge.client.callTool({ name: tool!.name, arguments: { message: 'who are you?' } }, undefined, {
        onprogress: (p) => void progress.push(p.message ?? ''),
      })) as CallToolResult;
      for (const result of [plain, streamed]) {
        expect(result.isError, textOf(result)).toBeFalsy();
        expect(textOf(result)).toBe(`revealed: agent=${id}`);
        expect(result.structuredContent).toMatchObject({ agentId: id });
      }
      expect(progress).toContain(`agent "${id}" started`);
      // Unencoded, `../admin` posts to /api/admin/generate: a 404 that was taken for a vanished agent.
      expect(stale).toEqual([]);
    },
  );

  it('ids that no URL path can name are not offered, and a warning names each', async () => {
    for (const id of UNADDRESSABLE_IDS) expect(toolFor(id)).toBeUndefined();
    const lines: string[] = [];
    const catalogue = catalogueOf(clientFor(stack.mastra.url));
    const refresher = keepCatalogueFresh({
      ...refreshDefaults(),
      catalogue,
      baseUrl: stack.mastra.url,
      logger: createLogger('warn', (line) => lines.push(line)),
      refreshIntervalMs: 0,
    });
    try {
      await refresher.firstAttempt;
      for (const id of UNADDRESSABLE_IDS) expect(lines.join('')).toContain(`warn: the agent ${JSON.stringify(id)} at ${stack.mastra.url} is not offered`);
      expect(catalogue.tools.map((tool) => tool.title)).toEqual(expect.arrayContaining([...HOSTILE_IDS, ...TARGET_IDS]));
    } finally {
      refresher.stop();
    }
  });
});

describe('--exclude admin', () => {
  it('cannot be bypassed by an id whose path leads to admin', async () => {
    const excluded = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', args: ['--exclude', 'admin', '--refresh-interval', '0'] });
    try {
      const { tools: offered } = await excluded.client.listTools();
      expect(offered.map((tool) => tool.title)).not.toContain('admin');
      const message = marked('let me in');
      for (const id of HOSTILE_IDS) {
        const tool = offered.find((t) => t.title === id)!;
        const result = (await excluded.client.callTool({ name: tool.name, arguments: { message } })) as CallToolResult;
        expect(textOf(result)).toBe(`revealed: agent=${id}`);
      }
      const reached = stack.mastraRequestsCarrying(message).map(({ request }) => request);
      expect(reached).toHaveLength(HOSTILE_IDS.length);
      expect(reached.filter((request) => /\/agents\/admin\//.test(request))).toEqual([]);
    } finally {
      await excluded.close();
    }
  });
});
