import type { Client as ModernClient } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskLimits } from '../src/tasks/task-store.js';
import { FAIL_MESSAGE, SLOW_WORDS } from './fixture/fake-model.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, textOf, type Connection, type Era } from './support/mcp-clients.js';
import { answerOf, initializeRequest, postModern, postRpc, TASKS_CAPABILITY } from './support/raw-http.js';
import type { RawStdio } from './support/raw-stdio.js';
import { asPlainResult, FAILED_AGENT_STATUS, legacyTasks, modernTasksOverHttp, modernTasksOverStdio, settle, type TaskClient } from './support/task-clients.js';
import { streamLegacyTask, streamModernTask, type StreamedTask } from './support/task-streams.js';
import { upstreamCaughtUp, waitFor } from './support/waiting.js';
import { taskBoard } from './support/defaults.js';

/**
 * Agent tasks, one body per behaviour over every way a client reaches them: 2025-11-25 (the v1 SDK's task
 * methods) and 2026-07-28 (the io.modelcontextprotocol/tasks extension), in this process and through the bin.
 */

const SECRET = 'tasks-test-secret';
const service = signJwt(SECRET, { sub: 'service-user' });
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, bigAgent: true });
});
afterAll(async () => {
  await stack?.close();
});

/** One caller of a bridge: its plain calls and its task methods, in its era. */
interface Caller {
  call(name: string, args: Record<string, unknown>, options?: { progress?: boolean }): Promise<CallToolResult>;
  tasks: TaskClient;
  /** The task as the era's client library follows it (where there is one for this way). */
  stream?(name: string, args: Record<string, unknown>): Promise<StreamedTask>;
}

interface Opened {
  bridge: Bridge;
  caller: Caller;
  /** Whom Mastra sees calling: the token the caller brings, or the service token where it brings none. */
  user: string;
  /** Another caller of the same bridge (another session in memory, another token over HTTP); stdio has one caller. */
  another?(): Promise<Caller>;
}

interface TaskWay {
  name: string;
  era: Era;
  /** The bridge with these task limits (the bin's flags for them), and its first caller: alice, where callers bring tokens. */
  open(limits?: Partial<TaskLimits>): Promise<Opened>;
}

/** The flags of the bin for the limits the in-process bridges take as a TaskBoard. */
const flagsOf = (limits: Partial<TaskLimits>) => [
  ...(limits.taskTtlMaxMs ? ['--task-ttl-max', `${limits.taskTtlMaxMs}ms`] : []),
  ...(limits.maxTasksPerSession ? ['--max-tasks-per-session', String(limits.maxTasksPerSession)] : []),
];
const board = (limits: Partial<TaskLimits>) => taskBoard({ pollIntervalMs: 100, ...limits });

const legacyCaller = (client: Client): Caller => ({
  call: (name, args, options = {}) =>
    client.callTool({ name, arguments: args }, undefined, options.progress ? { onprogress: () => {} } : undefined) as Promise<CallToolResult>,
  tasks: legacyTasks(client),
  stream: (name, args) => streamLegacyTask(client, name, args),
});

const modernCaller = (connection: Connection & { modern: ModernClient }, url: string, token: string): Caller => ({
  call: (name, args, options = {}) =>
    connection.client.callTool({ name, arguments: args }, undefined, options.progress ? { onprogress: () => {} } : undefined) as Promise<CallToolResult>,
  tasks: modernTasksOverHttp(url, token),
  stream: (name, args) => streamModernTask(connection.modern, url, name, args, { token }),
});

/** The raw line client of the 2026-07-28 stdio bin: plain calls without the extension, tasks with it. */
const rawModernCaller = (raw: RawStdio): Caller => ({
  call: async (name, args, options = {}) => {
    const answer = await raw.request('tools/call', { name, arguments: args, ...(options.progress ? { _meta: { progressToken: 1 } } : {}) });
    if (answer.error) throw new Error(`MCP error ${answer.error.code}: ${answer.error.message}`);
    return answer.result as CallToolResult;
  },
  tasks: modernTasksOverStdio(raw),
});

const ways: TaskWay[] = [
  {
    name: '2025-11-25 in memory',
    era: 'legacy',
    open: async (limits = {}) => {
      const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', serviceToken: service, settings: { tasks: board(limits) } });
      return { bridge, caller: legacyCaller(bridge.client), user: 'service-user', another: async () => legacyCaller((await bridge.connect()).client) };
    },
  },
  {
    name: '2025-11-25 over stdio (the built bin)',
    era: 'legacy',
    open: async (limits = {}) => {
      const bridge = await startBridge({
        mastraUrl: stack.mastra.url,
        transport: 'stdio',
        env: { JWT_TOKEN: service, LOG_LEVEL: 'warn' },
        args: flagsOf(limits),
      });
      return { bridge, caller: legacyCaller(bridge.client), user: 'service-user' };
    },
  },
  {
    name: '2025-11-25 over HTTP',
    era: 'legacy',
    open: async (limits = {}) => {
      const bridge = await startBridge({
        mastraUrl: stack.mastra.url,
        transport: 'http',
        token: alice,
        serviceToken: service,
        settings: { tasks: board(limits) },
      });
      return { bridge, caller: legacyCaller(bridge.client), user: 'alice', another: async () => legacyCaller((await bridge.connect({ token: bob })).client) };
    },
  },
  {
    name: '2026-07-28 over HTTP',
    era: 'modern',
    open: async (limits = {}) => {
      const bridge = await startBridge({
        mastraUrl: stack.mastra.url,
        transport: 'http',
        era: 'modern',
        token: alice,
        serviceToken: service,
        settings: { tasks: board(limits) },
      });
      const other = async () => modernCaller((await bridge.connect({ era: 'modern', token: bob })) as Connection & { modern: ModernClient }, bridge.url, bob);
      return { bridge, caller: modernCaller(bridge, bridge.url, alice), user: 'alice', another: other };
    },
  },
  {
    name: '2026-07-28 over stdio (the built bin)',
    era: 'modern',
    open: async (limits = {}) => {
      const bridge = await startBridge({
        mastraUrl: stack.mastra.url,
        transport: 'stdio',
        client: 'raw',
        era: 'modern',
        env: { JWT_TOKEN: service, LOG_LEVEL: 'warn' },
        args: flagsOf(limits),
      });
      return { bridge, caller: rawModernCaller(bridge.raw), user: 'service-user' };
    },
  },
];

describe.each(ways)('agent tasks, $name', (way) => {
  let opened: Opened;
  let caller: Caller;
  beforeAll(async () => {
    opened = await way.open();
    caller = opened.caller;
  });
  afterAll(async () => {
    await opened?.bridge.close();
  });

  it('advertises tasks as its era does: every tool optionally a task (2025), or the tasks extension (2026-07-28)', async () => {
    if (way.era === 'legacy') {
      const { client } = opened.bridge as Bridge & { client: Client };
      const { tools } = await client.listTools();
      for (const tool of tools) expect(tool.execution).toEqual({ taskSupport: 'optional' });
      expect(client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
      return;
    }
    const raw = (opened.bridge as Bridge & { raw?: RawStdio }).raw;
    const discovered = raw
      ? await raw.request('server/discover')
      : await answerOf(await postModern(opened.bridge.url, 'server/discover', {}, { token: alice }));
    expect(discovered.result.capabilities.extensions).toEqual({ 'io.modelcontextprotocol/tasks': {} });
    const listed = raw
      ? (await raw.request('tools/list')).result
      : (await answerOf(await postModern(opened.bridge.url, 'tools/list', {}, { token: alice }))).result;
    // The extension is declared per request: a tool says nothing of tasks.
    for (const tool of listed.tools) expect(tool.execution).toBeUndefined();
  });

  it('returns a working task at once, goes working -> completed, and yields what a direct call returns', async () => {
    const message = marked('slow task');
    const task = await caller.tasks.start('ask_slow', { message }, 60_000);
    expect(task.status).toBe('working');
    expect(task.statusMessage).toBe('running agent "slow"');
    // "At once": the agent is still writing when the task comes back.
    expect((await stack.requestFor(message)).endedAt).toBeUndefined();

    const [direct, { statuses, messages, last }] = await Promise.all([
      caller.call('ask_slow', { message: marked('slow direct') }),
      settle(caller.tasks, task.taskId),
    ]);
    expect(statuses).toEqual(['working', 'completed']);
    expect(last.statusMessage).toBe('agent "slow" answered');
    // While it worked, the status followed the agent's own stream, as progress notifications do.
    expect(messages.some((m) => /^writing the answer: \d+ characters$/.test(m))).toBe(true);
    const result = await caller.tasks.result(task.taskId);
    if (way.era === 'legacy') expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
    expect(asPlainResult(result)).toEqual(asPlainResult(direct));
    expect(textOf(result)).toBe(SLOW_WORDS.join(''));
    expect(result.structuredContent).toMatchObject({ agentId: 'slow', text: SLOW_WORDS.join('') });
  });

  it('tasks/cancel mid-run marks the task cancelled and aborts the model request upstream', async () => {
    const message = marked('cancel me');
    const task = await caller.tasks.start('ask_slow', { message }, 60_000);
    const upstream = await stack.requestFor(message, (request) => request.firstChunkAt !== undefined);
    await caller.tasks.cancel(task.taskId);
    expect((await caller.tasks.get(task.taskId)).status).toBe('cancelled');
    await stack.requestFor(message, (request) => request.aborted);
    const after = await caller.tasks.get(task.taskId);
    expect(after.status).toBe('cancelled');
    expect(after.statusMessage).toContain('the agent run on the Mastra server was stopped');
    if (way.era === 'legacy') {
      const result = await caller.tasks.result(task.taskId);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('cancelled');
    } else expect(after.result).toBeUndefined();
    // Nothing runs again for it: a marked call through the same bridge arrives after anything it could have set off.
    await upstreamCaughtUp(stack.model, (marker) => caller.call('ask_echo', { message: marker }));
    expect(stack.requestsFor(message)).toEqual([upstream]);
  });

  it('a failing agent ends its task with the error a direct streamed call returns', async () => {
    const message = marked('fail please');
    const task = await caller.tasks.start('ask_broken', { message });
    const { last } = await settle(caller.tasks, task.taskId);
    expect(last.status).toBe(FAILED_AGENT_STATUS[way.era]);
    expect(last.statusMessage).toContain('agent "broken" failed');
    expect(last.statusMessage).toContain(FAIL_MESSAGE);
    const result = await caller.tasks.result(task.taskId);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(FAIL_MESSAGE);
    // A task streams its run (for its status messages), as a direct call that asks for progress does.
    expect(asPlainResult(result)).toEqual(asPlainResult(await caller.call('ask_broken', { message }, { progress: true })));
  });

  it('bad arguments end the task with the error a direct call returns, and nothing reaches the model', async () => {
    const task = await caller.tasks.start('ask_echo', { message: '' });
    const { last } = await settle(caller.tasks, task.taskId);
    expect(last.status).toBe(FAILED_AGENT_STATUS[way.era]);
    const result = await caller.tasks.result(task.taskId);
    expect(textOf(result)).toContain('Invalid arguments for ask_echo');
    expect(asPlainResult(result)).toEqual(asPlainResult(await caller.call('ask_echo', { message: '' })));
    expect(stack.requestsFor('')).toEqual([]);
  });

  it('an unknown tool is refused before any task exists', async () => {
    const listed = await caller.tasks.list?.();
    await expect(caller.tasks.start('ask_nobody', { message: 'x' })).rejects.toThrow(/Unknown tool "ask_nobody"/);
    expect(await caller.tasks.list?.()).toEqual(listed);
  });

  it('a plain tools/call (no task) behaves as before', async () => {
    const result = await caller.call('ask_echo', { message: 'plain' });
    expect(result.content).toEqual([{ type: 'text', text: 'echo: plain' }]);
    if (way.era === 'legacy') expect(result._meta).toBeUndefined();
    else expect(result._meta?.['io.modelcontextprotocol/related-task']).toBeUndefined();
    expect(result.structuredContent).toMatchObject({ text: 'echo: plain', agentId: 'echo' });
  });

  it("the era's client library follows a task from its creation to its result", async ({ skip }) => {
    if (!caller.stream) return skip('the raw line client has no task library');
    const streamed = await caller.stream('ask_echo', { message: 'streamed' });
    expect(streamed.created).toBe(true);
    expect(streamed.endedWithResult).toBe(true);
    expect(textOf(streamed.result)).toBe('echo: streamed');
  });

  it('a task runs as its caller: with the token it brought, or the service token', async () => {
    const task = await caller.tasks.start('ask_whoami', { message: 'who started this?' });
    expect(textOf(await caller.tasks.result(task.taskId))).toBe(`revealed: user=${opened.user} tenant=none`);
  });

  it('another caller can neither see, read, list nor cancel a task, which runs on for its owner', async ({ skip }) => {
    if (!opened.another) return skip('a stdio bin has one caller');
    const other = await opened.another();
    const message = marked('alice only');
    const task = await caller.tasks.start('ask_slow', { message });
    await expect(other.tasks.get(task.taskId)).rejects.toThrow(/not found/i);
    await expect(other.tasks.result(task.taskId)).rejects.toThrow(/not found/i);
    await expect(other.tasks.cancel(task.taskId)).rejects.toThrow(/not found/i);
    if (other.tasks.list) {
      expect(await other.tasks.list()).not.toContain(task.taskId);
      expect(await caller.tasks.list!()).toContain(task.taskId);
    }
    const { last } = await settle(caller.tasks, task.taskId);
    expect(last.status).toBe('completed');
    expect(textOf(await caller.tasks.result(task.taskId))).toBe(SLOW_WORDS.join(''));
    expect((await stack.requestFor(message)).aborted).toBe(false);
  });
});

describe.each(ways)('task limits, $name', (way) => {
  it('--task-ttl-max bounds the TTL of every task', async () => {
    const { bridge, caller } = await way.open({ taskTtlMaxMs: 5_000 });
    try {
      expect((await caller.tasks.start('ask_echo', { message: 'bounded' }, 60_000)).ttl).toBe(5000);
      expect((await caller.tasks.start('ask_echo', { message: 'default' })).ttl).toBe(5000);
    } finally {
      await bridge.close();
    }
  });

  it('refuses a task beyond the running cap of a caller with a clear error, and only for that caller', async () => {
    const { bridge, caller, another } = await way.open({ maxTasksPerSession: 2 });
    try {
      const first = await caller.tasks.start('ask_slow', { message: marked('cap 1') });
      await caller.tasks.start('ask_slow', { message: marked('cap 2') });
      await expect(caller.tasks.start('ask_slow', { message: marked('cap 3') })).rejects.toThrow(
        /already has 2 agent tasks running.*--max-tasks-per-session.*cancel one with tasks\/cancel/,
      );
      if (another) expect((await (await another()).tasks.start('ask_echo', { message: 'not capped' })).status).toBe('working');
      await caller.tasks.cancel(first.taskId);
      expect((await caller.tasks.start('ask_echo', { message: 'room again' })).status).toBe('working');
    } finally {
      await bridge.close();
    }
  });
});

describe('tasks of a 2025-11-25 session', () => {
  it('honours a requested TTL up to the maximum, and drops the task when it expires', async () => {
    const bridge = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'in-memory',
      serviceToken: service,
      settings: { tasks: board({ taskTtlMaxMs: 120_000 }) },
    });
    const tasks = legacyTasks(bridge.client);
    try {
      expect((await tasks.start('ask_echo', { message: 'no ttl asked' })).ttl).toBe(120_000);
      expect((await tasks.start('ask_echo', { message: 'too long' }, 10_000_000)).ttl).toBe(120_000);
      const short = await tasks.start('ask_echo', { message: 'short-lived' }, 400);
      expect(short.ttl).toBe(400);
      expect((await settle(tasks, short.taskId)).last.status).toBe('completed');
      await waitFor('the task to expire', () =>
        tasks.get(short.taskId).then(
          () => false,
          (e: Error) => /not found/i.test(e.message),
        ),
      );
      await expect(tasks.result(short.taskId)).rejects.toThrow(/not found/i);
    } finally {
      await bridge.close();
    }
  });

  it('keeps its HTTP session open past the idle timeout while it runs, so a client that walked away can collect the result', async () => {
    const bridge = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'http',
      client: 'none',
      serviceToken: service,
      settings: { tasks: taskBoard(), sessionIdleTimeoutMs: 300 },
    });
    try {
      // A bare client: no event stream held open, nothing but the requests it needs.
      const auth = { authorization: `Bearer ${alice}` };
      const init = await postRpc(bridge.url, initializeRequest, auth);
      const session = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')! };
      await init.text();
      await (await postRpc(bridge.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session)).text();
      const message = marked('walk away');
      const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ask_slow', arguments: { message }, task: { ttl: 60_000 } } };
      const taskId = (await answerOf(await postRpc(bridge.url, call, session))).result.task.taskId as string;
      // The slow agent takes 1.5 s: five idle timeouts pass while it runs.
      const upstream = await stack.requestFor(message, (request) => request.endedAt !== undefined);
      expect(upstream.aborted).toBe(false);
      const result = await answerOf(await postRpc(bridge.url, { jsonrpc: '2.0', id: 3, method: 'tasks/result', params: { taskId } }, session));
      expect(result.result.content[0].text).toContain('word10');
    } finally {
      await bridge.close();
    }
  });

  it('closing a session stops its running agents upstream', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', serviceToken: service, settings: { tasks: taskBoard() } });
    const message = marked('session closes');
    await legacyTasks(bridge.client).start('ask_slow', { message });
    await stack.requestFor(message);
    await bridge.close();
    await stack.requestFor(message, (request) => request.aborted);
  });
});

describe.each(ERA_CASES)('the stdio bin in the $name era', ({ era }) => {
  it('exits 0 when stdin ends with a task still running, stopping the run upstream', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', client: 'raw', era, env: { JWT_TOKEN: service } });
    const message = marked('left running');
    if (era === 'legacy') await bridge.raw.initialize();
    const created = await bridge.raw.request(
      'tools/call',
      { name: 'ask_slow', arguments: { message }, ...(era === 'legacy' ? { task: { ttl: 60_000 } } : {}) },
      TASKS_CAPABILITY,
    );
    expect(JSON.stringify(created.result)).toContain('"status":"working"');
    await stack.requestFor(message);
    bridge.raw.end();
    expect(await bridge.exited).toBe(0);
    await stack.requestFor(message, (request) => request.aborted);
  });
});

describe('tasks in 2026-07-28: what only the extension has', () => {
  it("another token's tasks/update is refused as not found; its owner may cancel a finished task, which changes nothing; undeclared, there are no task methods", async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', serviceToken: service });
    const send = async (method: string, params: Record<string, unknown>, token: string, capabilities = TASKS_CAPABILITY) =>
      answerOf(await postModern(bridge.url, method, params, { token, capabilities }));
    try {
      const tasks = modernTasksOverHttp(bridge.url, alice);
      const { taskId } = await tasks.start('ask_slow', { message: marked('owned') });
      const update = await send('tasks/update', { taskId, inputResponses: {} }, bob);
      expect(update.error).toMatchObject({ code: -32602, message: expect.stringContaining(`Task ${taskId} not found`) });
      await settle(tasks, taskId);
      expect((await send('tasks/cancel', { taskId }, alice)).result).toBeDefined();
      expect((await send('tasks/get', { taskId }, alice)).result).toMatchObject({ status: 'completed' });
      expect((await send('tasks/get', { taskId }, alice, {} as typeof TASKS_CAPABILITY)).error).toMatchObject({ code: -32021 });
    } finally {
      await bridge.close();
    }
  });
});
