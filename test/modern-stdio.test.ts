import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeModel, type FakeModel } from './fixture/fake-model.js';
import { startMastraFixture } from './fixture/mastra-app.js';
import { BIN, closedPort, modernClient, waitFor } from './helpers.js';

let model: FakeModel;
beforeAll(async () => {
  model = await startFakeModel();
});
afterAll(async () => {
  await model?.close();
});

describe('MCP 2026-07-28 over stdio', () => {
  it('delivers tool-list changes on subscriptions/listen when Mastra gains an agent', async () => {
    const port = await closedPort();
    let mastra = await startMastraFixture({ modelUrl: model.url, port, omit: ['echo'] });
    const client = modernClient();
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, '--refresh-interval', '200ms'],
        env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: mastra.url, LOG_LEVEL: 'warn' },
        stderr: 'pipe',
      }),
    );
    try {
      expect(client.getProtocolEra()).toBe('modern');
      const names = async () => (await client.listTools()).tools.map((tool) => tool.name);
      expect(await names()).not.toContain('ask_echo');
      let changes = 0;
      client.setNotificationHandler('notifications/tools/list_changed', () => void changes++);
      await client.listen({ toolsListChanged: true });

      await mastra.close();
      mastra = await startMastraFixture({ modelUrl: model.url, port });
      await waitFor('notifications/tools/list_changed on the listen subscription', () => changes > 0);
      expect(await names()).toContain('ask_echo');
    } finally {
      await client.close();
      await mastra.close();
    }
  });
});
