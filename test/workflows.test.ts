import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEDGER_ERROR } from './fixture/workflows.js';
import type { ClientBridge } from './support/bridge.js';
import { bridgeWays } from './support/bridge-ways.js';
import { clientFor, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
});
afterAll(async () => {
  await stack?.close();
});

/** The suspended result names its run: `runId "<uuid>"`. */
const runIdIn = (text: string) => /runId "([0-9a-f-]{36})"/.exec(text)?.[1];

describe.each(bridgeWays)('workflows over $name', (way) => {
  let bridge: ClientBridge;
  beforeAll(async () => {
    bridge = await way.start(stack.mastra.url);
  });
  afterAll(async () => {
    await bridge?.close();
  });
  const call = (name: string, args: Record<string, unknown>, options?: object) =>
    bridge.client.callTool({ name, arguments: args }, undefined, options) as Promise<CallToolResult>;

  it('lists each workflow as run_<id>, with the input and output schemas Mastra publishes, beside the agents', async () => {
    const { tools } = await bridge.client.listTools();
    const byName = new Map(tools.map((tool) => [tool.name, tool as Tool]));
    const greet = byName.get('run_greet')!;
    expect(greet.title).toBe('greet');
    expect(greet.description).toContain('Greets someone loudly, a given number of times.');
    expect(greet.description).toContain('Steps: compose, shout.');
    expect(greet.inputSchema).toEqual({
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 1, description: 'Who to greet.' },
        times: { type: 'integer', minimum: 1, maximum: 5, description: 'How many times.' },
      },
      required: ['name', 'times'],
      additionalProperties: false,
    });
    expect(greet.outputSchema).toMatchObject({ type: 'object', required: ['greeting', 'length'] });
    // 2026-07-28 has no `execution`: its tasks are an extension the client declares.
    if (way.era === 'legacy') expect(greet.execution).toEqual({ taskSupport: 'optional' });
    // Only a workflow that can suspend has a resume tool.
    expect(byName.has('resume_expense')).toBe(true);
    expect(byName.has('resume_greet')).toBe(false);
    expect(byName.has('ask_echo')).toBe(true);
    expect(tools.map((t) => t.name)).toEqual([...tools.map((t) => t.name)].sort());
  });

  it("runs a workflow and returns its output as text and structuredContent, with steps' progress", async () => {
    const progress: string[] = [];
    const result = await call('run_greet', { name: 'ann', times: 2 }, { onprogress: (p: { message?: string }) => progress.push(p.message ?? '') });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ greeting: 'HELLO ANN, HELLO ANN!', length: 21 });
    expect(JSON.parse(textOf(result))).toEqual(result.structuredContent);
    expect(progress).toEqual(expect.arrayContaining(['workflow "greet" started', 'step compose started', 'step compose finished']));
    // The bridge writes the last step's progress before the answer, but over stdio both often reach the client in one
    // read, and the SDK clients then drop it: they hand a notification to its handler a microtask later, by which time
    // the answer has removed the call's progress handler ("unknown token").
    if (!way.name.startsWith('stdio')) expect(progress).toContain('step shout finished');
  });

  it("a failing step is an isError result naming the step and Mastra's error text", async () => {
    const result = await call('run_ledger', { amount: 3 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(`at step "post-ledger": ${LEDGER_ERROR}`);
  });

  it('arguments that do not fit the input schema are an isError result naming each field, and start no run', async () => {
    // A Mastra of its own, which hears only this call: a run it created would be in its log.
    const own = await stack.another({ workflows: true });
    const alone = await way.start(own.url);
    try {
      const result = (await alone.client.callTool({ name: 'run_greet', arguments: { name: 3 } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^Invalid arguments for run_greet: name: .*string.*; times: /);
      expect(own.requests.filter((request) => request.startsWith('POST '))).toEqual([]);
    } finally {
      await alone.close();
      await own.close();
    }
  });

  it('a suspended step says what it waits for and that the run stays suspended; the resume tool resumes it', async () => {
    const suspended = await call('run_expense', { item: 'desk', amount: 300 });
    expect(suspended.isError).toBe(true);
    const text = textOf(suspended);
    expect(text).toContain('suspended at step "ask-manager", waiting for an answer with approved (boolean, required): Approve the expense?; note (string)');
    expect(text).toContain('The step says: {"reason":"desk costs 300"}');
    expect(text).toContain('stays suspended on the Mastra server');
    const runId = runIdIn(text)!;
    const stored = await clientFor(stack.mastra.url).getWorkflow('expense').runById(runId);
    expect(stored.status).toBe('suspended');

    const wrong = await call('resume_expense', { runId, answer: { approved: 'yes' } });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toMatch(/answer: approved: .*boolean/);
    const resumed = await call('resume_expense', { runId, answer: { approved: true, note: 'fine' } });
    expect(resumed.structuredContent).toEqual({ status: 'approved: fine' });

    const again = await call('resume_expense', { runId, answer: { approved: true } });
    expect(textOf(again)).toContain(
      `The run "${runId}" of the workflow "expense" on the Mastra server at ${stack.mastra.url} is not suspended (its status is "success")`,
    );
    const unknown = await call('resume_expense', { runId: 'no-such-run', answer: { approved: true } });
    expect(textOf(unknown)).toContain('has no run "no-such-run" of the workflow "expense"');
  });

  it('the resume tool cancels a suspended run upstream when asked to', async () => {
    const runId = runIdIn(textOf(await call('run_expense', { item: 'chair', amount: 90 })))!;
    const cancelled = await call('resume_expense', { runId, cancel: true });
    expect(cancelled.isError).toBeFalsy();
    expect(textOf(cancelled)).toContain('was cancelled on the Mastra server');
    expect((await clientFor(stack.mastra.url).getWorkflow('expense').runById(runId)).status).toBe('canceled');
  });

  it('a resumeSchema that is no flat form is said so, and the run can still be resumed with JSON', async () => {
    const text = textOf(await call('run_shipping', { name: 'Ada' }));
    expect(text).toContain('is not a flat form');
    const resumed = await call('resume_shipping', { runId: runIdIn(text)!, answer: { address: { street: '1 Loop', city: 'Bath' } } });
    expect(resumed.structuredContent).toEqual({ line: 'Ada, 1 Loop, Bath' });
  });

  it('a cancelled call cancels the run upstream', async () => {
    const controller = new AbortController();
    const started = once(stack.mastra.workflowEvents, 'started');
    const cancelled = once(stack.mastra.workflowEvents, 'cancelled');
    const pending = call('run_slowflow', { label: way.name }, { signal: controller.signal });
    const [runId] = await started;
    controller.abort('the user pressed stop');
    await expect(pending).rejects.toThrow();
    expect(await cancelled).toEqual([runId]);
  });
});

describe.each(bridgeWays.filter((way) => way.name === 'in-memory' || way.name === 'stdio 2026-07-28'))('the call timeout over $name', (way) => {
  it('cancels the run upstream and says so', async () => {
    const bridge = await way.start(stack.mastra.url, { callTimeoutMs: 300 });
    try {
      const started = once(stack.mastra.workflowEvents, 'started');
      const cancelled = once(stack.mastra.workflowEvents, 'cancelled');
      const result = (await bridge.client.callTool({ name: 'run_slowflow', arguments: { label: 'timeout' } })) as CallToolResult;
      const [runId] = await started;
      expect(await cancelled).toEqual([runId]);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`did not finish within the call timeout of 300ms, so its run (runId "${runId}")`);
    } finally {
      await bridge.close();
    }
  });
});
