import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOW_WORDS } from './fixture/fake-model.js';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { TASKS_CAPABILITY } from './support/raw-http.js';
import { closedPort, waitFor } from './support/waiting.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('MCP 2026-07-28 over stdio', () => {
  it('delivers tool-list changes on subscriptions/listen when Mastra gains an agent', async () => {
    const port = await closedPort();
    const first = await stack.another({ port, omit: ['echo'] });
    const bridge = await startBridge({
      mastraUrl: first.url,
      transport: 'stdio',
      era: 'modern',
      args: ['--refresh-interval', '200ms'],
      env: { LOG_LEVEL: 'warn' },
    });
    const client = bridge.modern;
    try {
      expect(client.getProtocolEra()).toBe('modern');
      const names = async () => (await client.listTools()).tools.map((tool) => tool.name);
      expect(await names()).not.toContain('ask_echo');
      let changes = 0;
      client.setNotificationHandler('notifications/tools/list_changed', () => void changes++);
      await client.listen({ toolsListChanged: true });

      await first.close();
      await stack.another({ port });
      await waitFor('notifications/tools/list_changed on the listen subscription', () => changes > 0);
      expect(await names()).toContain('ask_echo');
    } finally {
      await bridge.close();
    }
  });
});

describe('agent tasks in MCP 2026-07-28 over stdio', () => {
  it('a task-augmented call answers a task, status notifications follow it, and tasks/get gives the result', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', client: 'raw', era: 'modern', env: { LOG_LEVEL: 'warn' } });
    const { raw } = bridge;
    try {
      const created = await raw.request('tools/call', { name: 'ask_slow', arguments: { message: 'a stdio task' } }, TASKS_CAPABILITY);
      expect(created.result).toMatchObject({ resultType: 'task', status: 'working' });
      const taskId = created.result!.taskId as string;
      const done = await waitFor('notifications/tasks saying completed', () =>
        raw.messages.find((m) => m.method === 'notifications/tasks' && m.params?.taskId === taskId && m.params?.status === 'completed'),
      );
      expect(JSON.stringify(done.params!.result)).toContain(SLOW_WORDS.join(''));
      expect(raw.messages.some((m) => m.method === 'notifications/tasks' && m.params?.status === 'working')).toBe(true);
      const got = await raw.request('tasks/get', { taskId }, TASKS_CAPABILITY);
      expect(got.result).toMatchObject({ taskId, status: 'completed' });
    } finally {
      await bridge.close();
    }
  });
});
