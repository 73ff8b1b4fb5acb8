import { spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateTaskResultSchema } from '@modelcontextprotocol/sdk/experimental/tasks';
import { CallToolResultSchema, ErrorCode, type McpError, type CallToolResult, type Task } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAIL_MESSAGE, type ModelRequest } from './fixture/fake-model.js';
import { BIN, connectInMemory, startStack, textOf, type Stack } from './helpers.js';
import { taskBoard } from './support/defaults.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ bigAgent: true });
});
afterAll(async () => {
  await stack?.close();
});

interface Session {
  client: Client;
  close(): Promise<void>;
}

async function connectStdio(args: string[] = []): Promise<Session> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, ...args],
    env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'task-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, close: () => client.close() };
}

const connectors: [string, () => Promise<Session>][] = [
  ['in memory', () => connectInMemory({ listFrom: stack.mastra.url, tasks: taskBoard({ pollIntervalMs: 100 }) })],
  ['over stdio (the built bin)', () => connectStdio()],
];

let unique = 0;
/** A message no other test sends, to find this call's request to the fake model. */
const messageFor = (what: string) => `${what} #${++unique}`;

function startTask(client: Client, name: string, message: string, ttl?: number): Promise<Task> {
  const params = { name, arguments: { message }, task: ttl === undefined ? {} : { ttl } };
  return client.request({ method: 'tools/call', params }, CreateTaskResultSchema).then((r) => r.task);
}

async function until<T>(probe: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls tasks/get until the task is terminal; returns every status seen. */
async function statusesUntilDone(client: Client, taskId: string): Promise<{ statuses: string[]; messages: string[]; last: Task }> {
  const statuses: string[] = [];
  const messages: string[] = [];
  const last = await until(
    async () => {
      const task = await client.experimental.tasks.getTask(taskId);
      if (statuses.at(-1) !== task.status) statuses.push(task.status);
      if (task.statusMessage && messages.at(-1) !== task.statusMessage) messages.push(task.statusMessage);
      return task;
    },
    (task) => ['completed', 'failed', 'cancelled'].includes(task.status),
    `task ${taskId} to finish`,
  );
  return { statuses, messages, last };
}

const modelRequestFor = (message: string) =>
  until(
    () => stack.model.requests.find((r) => r.lastUserMessage === message),
    (r): r is ModelRequest => r !== undefined,
    `the model to receive "${message}"`,
  ) as Promise<ModelRequest>;

const withoutMeta = ({ _meta, ...result }: CallToolResult) => result;

describe.each(connectors)('agent tasks %s', (_name, connect) => {
  let session: Session;
  beforeAll(async () => {
    session = await connect();
  });
  afterAll(async () => {
    await session?.close();
  });

  it('lists every agent tool as optionally runnable as a task, and advertises tasks', async () => {
    const { tools } = await session.client.listTools();
    for (const tool of tools) expect(tool.execution).toEqual({ taskSupport: 'optional' });
    expect(session.client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
  });

  it('returns a working task at once, goes working -> completed, and yields what a direct call returns', async () => {
    const message = messageFor('slow task');
    const task = await startTask(session.client, 'ask_slow', message, 60_000);
    expect(task.status).toBe('working');
    expect(task.statusMessage).toBe('running agent "slow"');
    // "At once": the agent is still writing when the task comes back.
    expect((await modelRequestFor(message)).endedAt).toBeUndefined();

    const [direct, { statuses, messages, last }] = await Promise.all([
      session.client.callTool({ name: 'ask_slow', arguments: { message: messageFor('slow direct') } }) as Promise<CallToolResult>,
      statusesUntilDone(session.client, task.taskId),
    ]);
    expect(statuses).toEqual(['working', 'completed']);
    expect(last.statusMessage).toBe('agent "slow" answered');
    // While it worked, the status followed the agent's own stream, as progress notifications do.
    expect(messages.some((m) => /^writing the answer: \d+ characters$/.test(m))).toBe(true);
    const result = await session.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({ taskId: task.taskId });
    expect(withoutMeta(result)).toEqual(withoutMeta(direct));
    expect(textOf(result)).toContain('word10');
  });

  it('tasks/cancel mid-run marks the task cancelled and aborts the model request upstream', async () => {
    const message = messageFor('cancel me');
    const task = await startTask(session.client, 'ask_slow', message, 60_000);
    const upstream = await modelRequestFor(message);
    const cancelled = await session.client.experimental.tasks.cancelTask(task.taskId);
    expect(cancelled.status).toBe('cancelled');
    await until(() => upstream.aborted, Boolean, 'the model request to be aborted');
    const after = await session.client.experimental.tasks.getTask(task.taskId);
    expect(after.status).toBe('cancelled');
    expect(after.statusMessage).toContain('the agent run on the Mastra server was stopped');
    const result = await session.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('cancelled');
  });

  it('a failing agent gives a failed task whose result is the error a direct streamed call returns', async () => {
    const task = await startTask(session.client, 'ask_broken', 'fail please');
    const { last } = await statusesUntilDone(session.client, task.taskId);
    expect(last.status).toBe('failed');
    expect(last.statusMessage).toContain('agent "broken" failed');
    expect(last.statusMessage).toContain(FAIL_MESSAGE);
    const result = await session.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(FAIL_MESSAGE);
    // A task streams its run (for its status messages), as a direct call that asks for progress does.
    const direct = (await session.client.callTool({ name: 'ask_broken', arguments: { message: 'fail please' } }, undefined, {
      onprogress: () => {},
    })) as CallToolResult;
    expect(withoutMeta(result)).toEqual(withoutMeta(direct));
  });

  it('bad arguments give a failed task whose result is the error a direct call returns', async () => {
    const params = { name: 'ask_echo', arguments: { message: '' } };
    const { task } = await session.client.request({ method: 'tools/call', params: { ...params, task: {} } }, CreateTaskResultSchema);
    const { last } = await statusesUntilDone(session.client, task.taskId);
    expect(last.status).toBe('failed');
    const result = await session.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(textOf(result)).toContain('Invalid arguments for ask_echo');
    expect(withoutMeta(result)).toEqual(withoutMeta((await session.client.callTool(params)) as CallToolResult));
  });

  it('a plain tools/call (no task) behaves as before', async () => {
    const result = (await session.client.callTool({ name: 'ask_echo', arguments: { message: 'plain' } })) as CallToolResult;
    expect(result.content).toEqual([{ type: 'text', text: 'echo: plain' }]);
    expect(result._meta).toBeUndefined();
    expect(result.structuredContent).toMatchObject({ text: 'echo: plain', agentId: 'echo' });
  });

  it('the SDK task stream (callToolStream) yields the task, its statuses, then the result', async () => {
    const kinds: string[] = [];
    let result: CallToolResult | undefined;
    const stream = session.client.experimental.tasks.callToolStream({ name: 'ask_echo', arguments: { message: 'streamed' } }, CallToolResultSchema, {
      task: { ttl: 60_000 },
    });
    for await (const m of stream) {
      kinds.push(m.type);
      if (m.type === 'result') result = m.result as CallToolResult;
    }
    expect(kinds[0]).toBe('taskCreated');
    expect(kinds.at(-1)).toBe('result');
    expect(textOf(result)).toBe('echo: streamed');
  });
});

describe('task bounds and isolation', () => {
  it('--task-ttl-max bounds the TTL of tasks started over stdio', async () => {
    const bridge = await connectStdio(['--task-ttl-max', '5s']);
    try {
      expect((await startTask(bridge.client, 'ask_echo', 'bounded', 60_000)).ttl).toBe(5000);
      expect((await startTask(bridge.client, 'ask_echo', 'default')).ttl).toBe(5000);
    } finally {
      await bridge.close();
    }
  });

  it('another session can neither see, read, list nor cancel a task', async () => {
    const tasks = taskBoard({ pollIntervalMs: 100 });
    const alice = await connectInMemory({ listFrom: stack.mastra.url, tasks });
    const bob = await connectInMemory({ listFrom: stack.mastra.url, tasks });
    try {
      const task = await startTask(alice.client, 'ask_slow', messageFor('alice only'));
      await expect(bob.client.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
      await expect(bob.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema)).rejects.toThrow(/not found/i);
      await expect(bob.client.experimental.tasks.cancelTask(task.taskId)).rejects.toThrow(/not found/i);
      expect((await bob.client.experimental.tasks.listTasks()).tasks).toEqual([]);
      expect((await alice.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toEqual([task.taskId]);
      const { last } = await statusesUntilDone(alice.client, task.taskId);
      expect(last.status).toBe('completed');
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('honours a requested TTL up to the maximum, and drops the task when it expires', async () => {
    const bridge = await connectInMemory({ listFrom: stack.mastra.url, tasks: taskBoard({ taskTtlMaxMs: 120_000, pollIntervalMs: 100 }) });
    try {
      expect((await startTask(bridge.client, 'ask_echo', 'no ttl asked')).ttl).toBe(120_000);
      expect((await startTask(bridge.client, 'ask_echo', 'too long', 10_000_000)).ttl).toBe(120_000);
      const short = await startTask(bridge.client, 'ask_echo', 'short-lived', 400);
      expect(short.ttl).toBe(400);
      expect((await statusesUntilDone(bridge.client, short.taskId)).last.status).toBe('completed');
      await until(
        () =>
          bridge.client.experimental.tasks.getTask(short.taskId).then(
            () => 'still there',
            (e: Error) => e.message,
          ),
        (outcome) => /not found/i.test(outcome),
        'the task to expire',
      );
      await expect(bridge.client.experimental.tasks.getTaskResult(short.taskId, CallToolResultSchema)).rejects.toThrow(/not found/i);
    } finally {
      await bridge.close();
    }
  });

  it('refuses a task beyond the running cap of a session with a clear error, and only for that session', async () => {
    const tasks = taskBoard({ maxTasksPerSession: 2, pollIntervalMs: 100 });
    const busy = await connectInMemory({ listFrom: stack.mastra.url, tasks });
    const other = await connectInMemory({ listFrom: stack.mastra.url, tasks });
    try {
      const first = await startTask(busy.client, 'ask_slow', messageFor('cap 1'));
      await startTask(busy.client, 'ask_slow', messageFor('cap 2'));
      await expect(startTask(busy.client, 'ask_slow', messageFor('cap 3'))).rejects.toThrow(
        /already has 2 agent tasks running.*--max-tasks-per-session.*cancel one with tasks\/cancel/,
      );
      expect((await startTask(other.client, 'ask_echo', 'not capped')).status).toBe('working');
      await busy.client.experimental.tasks.cancelTask(first.taskId);
      expect((await startTask(busy.client, 'ask_echo', 'room again')).status).toBe('working');
    } finally {
      await busy.close();
      await other.close();
    }
  });

  it('an unknown tool is refused before any task exists', async () => {
    const bridge = await connectInMemory({ listFrom: stack.mastra.url });
    try {
      await expect(startTask(bridge.client, 'ask_nobody', 'x')).rejects.toThrow(/Unknown tool "ask_nobody"/);
      expect((await bridge.client.experimental.tasks.listTasks()).tasks).toEqual([]);
    } finally {
      await bridge.close();
    }
  });

  it('the stdio bin exits 0 when stdin ends with a task still running, stopping the run upstream', async () => {
    const child = spawn(process.execPath, [BIN], {
      env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const send = (message: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
    const message = messageFor('left running');
    send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    send({ method: 'notifications/initialized' });
    send({ id: 2, method: 'tools/call', params: { name: 'ask_slow', arguments: { message }, task: { ttl: 60_000 } } });
    const upstream = await modelRequestFor(message);
    child.stdin.end();
    expect(await exited).toBe(0);
    await until(() => upstream.aborted, Boolean, 'the model request to be aborted');
  });

  it('closing a session stops its running agents upstream', async () => {
    const bridge = await connectInMemory({ listFrom: stack.mastra.url, tasks: taskBoard() });
    const message = messageFor('session closes');
    await startTask(bridge.client, 'ask_slow', message);
    const upstream = await modelRequestFor(message);
    await bridge.close();
    await until(() => upstream.aborted, Boolean, 'the model request to be aborted');
  });
});

describe('stored task results are bounded in bytes', () => {
  /** A finished task of the big agent: about 23 KB of result (10 000 characters, twice). */
  async function bigTask(client: Client): Promise<string> {
    const task = await startTask(client, 'ask_big', '0.01');
    expect((await statusesUntilDone(client, task.taskId)).last.status).toBe('completed');
    return task.taskId;
  }
  const resultOf = (client: Client, taskId: string) => client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
  const refusalOf = (client: Client, taskId: string) =>
    resultOf(client, taskId).then(
      () => undefined,
      (e: unknown) => e as McpError,
    );

  it("drops a session's oldest result first when a new one would pass --task-results-max-per-session", async () => {
    const bridge = await connectInMemory({ listFrom: stack.mastra.url, tasks: taskBoard({ pollIntervalMs: 100, taskResultsMaxPerSession: 50_000 }) });
    try {
      const [first, second, third] = [await bigTask(bridge.client), await bigTask(bridge.client), await bigTask(bridge.client)];
      const refusal = await refusalOf(bridge.client, first);
      expect(refusal?.code).toBe(ErrorCode.InvalidParams);
      expect(refusal?.message).toBe(
        `MCP error -32602: The result of task ${first} was dropped to stay within the 48.8 KiB per session (--task-results-max-per-session) allowed for stored task results: newer results took its place. Run the agent again; next time collect results sooner, or raise --task-results-max-per-session.`,
      );
      // The task itself stays listed, with its status.
      expect((await bridge.client.experimental.tasks.getTask(first)).status).toBe('completed');
      for (const kept of [second, third]) expect(textOf(await resultOf(bridge.client, kept))).toContain('big answer line');
    } finally {
      await bridge.close();
    }
  });

  it('drops the oldest result of any session when a new one would pass --task-results-max', async () => {
    const tasks = taskBoard({ pollIntervalMs: 100, taskResultsMax: 50_000 });
    const alice = await connectInMemory({ listFrom: stack.mastra.url, tasks });
    const bob = await connectInMemory({ listFrom: stack.mastra.url, tasks });
    try {
      const alices = await bigTask(alice.client);
      const bobs = [await bigTask(bob.client), await bigTask(bob.client)];
      expect((await refusalOf(alice.client, alices))?.message).toMatch(
        /was dropped to stay within the 48\.8 KiB for all sessions together \(--task-results-max\)/,
      );
      for (const kept of bobs) expect(textOf(await resultOf(bob.client, kept))).toContain('big answer line');
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('keeps no result larger than a whole bound, and says so, while smaller ones are kept', async () => {
    const bridge = await connectInMemory({ listFrom: stack.mastra.url, tasks: taskBoard({ pollIntervalMs: 100, taskResultsMaxPerSession: 15_000 }) });
    try {
      const small = await startTask(bridge.client, 'ask_echo', 'small enough');
      await statusesUntilDone(bridge.client, small.taskId);
      const big = await bigTask(bridge.client);
      expect((await refusalOf(bridge.client, big))?.message).toMatch(
        /^MCP error -32602: The result of task \S+ \(\d+(\.\d)? KiB\) is larger than the 14\.6 KiB per session \(--task-results-max-per-session\) allowed for stored task results, so it was not kept\. Raise --task-results-max-per-session, or call the agent without a task\.$/,
      );
      expect(textOf(await resultOf(bridge.client, small.taskId))).toBe('echo: small enough');
    } finally {
      await bridge.close();
    }
  });

  it('--task-results-max-per-session bounds the results of the stdio bin', async () => {
    const bridge = await connectStdio(['--task-results-max-per-session', '30000']);
    try {
      const [first, second] = [await bigTask(bridge.client), await bigTask(bridge.client)];
      expect((await refusalOf(bridge.client, first))?.message).toContain(
        'was dropped to stay within the 29.3 KiB per session (--task-results-max-per-session)',
      );
      expect(textOf(await resultOf(bridge.client, second))).toContain('big answer line');
    } finally {
      await bridge.close();
    }
  });
});
