import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOW_WORDS, startFakeModel, type FakeModel } from './fixture/fake-model.js';
import { startMastraFixture } from './fixture/mastra-app.js';
import { BIN, closedPort, MODERN_VERSION, modernClient, waitFor } from './helpers.js';

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

describe('agent tasks in MCP 2026-07-28 over stdio', () => {
  it('a task-augmented call answers a task, status notifications follow it, and tasks/get gives the result', async () => {
    const mastra = await startMastraFixture({ modelUrl: model.url });
    const child = spawn(process.execPath, [BIN], { env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: mastra.url, LOG_LEVEL: 'warn' } });
    const messages: { id?: number; method?: string; result?: Record<string, unknown>; params?: Record<string, unknown> }[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => messages.push(JSON.parse(line)));
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } },
    };
    const send = (id: number, method: string, params: Record<string, unknown>) =>
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: envelope } })}\n`);
    try {
      send(1, 'tools/call', { name: 'ask_slow', arguments: { message: 'a stdio task' } });
      const created = await waitFor('the task', () => messages.find((m) => m.id === 1));
      expect(created.result).toMatchObject({ resultType: 'task', status: 'working' });
      const taskId = created.result!.taskId as string;
      const done = await waitFor('notifications/tasks saying completed', () =>
        messages.find((m) => m.method === 'notifications/tasks' && m.params?.taskId === taskId && m.params?.status === 'completed'),
      );
      expect(JSON.stringify(done.params!.result)).toContain(SLOW_WORDS.join(''));
      expect(messages.some((m) => m.method === 'notifications/tasks' && m.params?.status === 'working')).toBe(true);
      send(2, 'tasks/get', { taskId });
      const got = await waitFor('tasks/get', () => messages.find((m) => m.id === 2));
      expect(got.result).toMatchObject({ taskId, status: 'completed' });
    } finally {
      child.kill();
      await mastra.close();
    }
  });
});
