import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_VERSION, startStack, textOf, waitFor, type Stack } from './helpers.js';
import { postModernTasks } from './http-helpers.js';
import { approve, modernSession, rawDispatch, refuse, type Elicit } from './person-sessions.js';

/**
 * A person in the loop (issue 14 items 2 and 3): an agent tool that needs approval is asked
 * through a 2026-07-28 client (input_required, and tasks/update for a task), and runs only when the person approves. The fixture counts every run of
 * the approval-gated tools, so "never ran" is an event count, not a guess.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

const runs = () => ({ ...stack.mastra.approvalToolRuns });

describe('agent tool approval, 2026-07-28 input_required', () => {
  it('approved: asked once through input_required, the retry resumes the run, the tool runs exactly once', async () => {
    const session = await modernSession(stack.mastra.url, approve);
    const before = runs().banker;
    const result = await session.call('ask_banker', 'move 2 to 3');
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
    expect(session.questions).toHaveLength(1);
    expect(session.questions[0]!.message).toContain('wants to call tool "transfer" with these arguments: {"a":2,"b":3}. Approve?');
    await session.close();
  });

  for (const [how, elicit] of [
    ['declined in the form', refuse],
    ['declined', (() => ({ action: 'decline' })) as Elicit],
    ['cancelled', (() => ({ action: 'cancel' })) as Elicit],
  ] as const) {
    it(`${how}: the tool never runs and the agent answers without it`, async () => {
      const session = await modernSession(stack.mastra.url, elicit);
      const before = runs().cautious;
      const result = await session.call('ask_cautious', 'add');
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).not.toContain('{"sum":5}');
      expect(runs().cautious).toBe(before);
      expect(session.questions).toHaveLength(1);
      await session.close();
    });
  }

  it('a run that pauses again answers input_required again: two rounds, two runs of the tool, one answer', async () => {
    const session = await modernSession(stack.mastra.url, approve);
    const before = runs().treasurer;
    const result = await session.call('ask_treasurer', 'two transfers');
    expect(session.questions.map((q) => q.message)).toEqual([expect.stringContaining('{"a":2,"b":3}'), expect.stringContaining('{"a":4,"b":5}')]);
    expect(textOf(result)).toContain('{"sum":5} and then {"sum":9}');
    expect(runs().treasurer).toBe(before + 2);
    await session.close();
  });

  it('--auto-approve-tools: no input_required round, the tool runs once', async () => {
    const session = await modernSession(stack.mastra.url, approve, { autoApproveTools: true });
    const before = runs().treasurer;
    const result = await session.call('ask_treasurer', 'two transfers');
    expect(session.questions).toEqual([]);
    expect(textOf(result)).toContain('{"sum":5} and then {"sum":9}');
    expect(runs().treasurer).toBe(before + 2);
    await session.close();
  });

  it('a client without elicitation: declined at once, the tool never runs, and the result says why', async () => {
    const session = await modernSession(stack.mastra.url);
    const before = runs().banker;
    const result = await session.call('ask_banker', 'move');
    expect(textOf(result)).toContain('cannot be asked');
    expect(runs().banker).toBe(before);
    await session.close();
  });

  it('an answer that does not fit the form is asked again once, then refused as a cancel', async () => {
    const session = await modernSession(stack.mastra.url, () => ({ action: 'accept', content: { approved: 'yes please' } }));
    const before = runs().banker;
    const result = await session.call('ask_banker', 'move');
    expect(session.questions).toHaveLength(2);
    expect(textOf(result)).toContain('did not fit the form twice');
    expect(runs().banker).toBe(before);
    await session.close();
  });
});

describe('agent tool approval in a 2026-07-28 task (tasks/update with inputResponses)', () => {
  for (const [how, elicit, ran] of [
    ['approved', approve, 1],
    ['declined', (() => ({ action: 'decline' })) as Elicit, 0],
  ] as const) {
    it(`${how}: the task shows input_required with the question, and the tool runs ${ran ? 'exactly once' : 'never'}`, async () => {
      const bridge = await modernSession(stack.mastra.url);
      const questions: string[] = [];
      const session = createTaskSessionFromClient(bridge.client, {
        endpointId: 'bridge',
        rawDispatch: rawDispatch(bridge.url),
        v2RequestFraming: { protocolVersion: MODERN_VERSION, clientInfo: { name: 'person', version: '1.0.0' }, clientCapabilities: { elicitation: { form: {} } } },
        onInputRequest: async (request) => {
          questions.push(String((request.params as { message?: string }).message));
          return elicit(request.params as never) as never;
        },
      });
      const before = runs().banker;
      try {
        const execution = await session.callTool('ask_banker', { message: 'move as a task' });
        expect(execution.kind).toBe('task');
        const seen: string[] = [];
        const { outcome } = await execution.settle({ onEvent: (event) => void (event.type === 'task' && seen.push(event.task.status)) });
        expect(seen).toContain('input_required');
        expect(questions).toEqual([expect.stringContaining('wants to call tool "transfer"')]);
        const result = resultFromTaskOutcome(outcome) as CallToolResult;
        expect(textOf(result).includes('{"sum":5}')).toBe(ran === 1);
        expect(runs().banker).toBe(before + ran);
      } finally {
        await session.close();
        await bridge.close();
      }
    });
  }

  it('an answer to a question no longer open is refused in words and runs nothing again', async () => {
    const bridge = await modernSession(stack.mastra.url);
    const post = (method: string, params: Record<string, unknown>) => postModernTasks(bridge.url, method, params, undefined, { elicitation: { form: {} } });
    const before = runs().banker;
    try {
      const taskId = (await post('tools/call', { name: 'ask_banker', arguments: { message: 'move, answered twice' } })).result.taskId as string;
      const asking = await waitFor('the task to ask', async () => {
        const { result } = await post('tasks/get', { taskId });
        return result.status === 'input_required' && Object.keys(result.inputRequests).length > 0 && result;
      });
      const [key] = Object.keys(asking.inputRequests);
      const approval = { taskId, inputResponses: { [key!]: { action: 'accept', content: { approved: true } } } };
      expect((await post('tasks/update', approval)).result).toMatchObject({ resultType: 'complete' });
      expect((await post('tasks/update', approval)).error).toMatchObject({ code: -32602, message: expect.stringContaining('has no open question that these inputResponses answer') });
      await waitFor('the task to complete', async () => (await post('tasks/get', { taskId })).result.status === 'completed');
      expect(runs().banker).toBe(before + 1);
    } finally {
      await bridge.close();
    }
  });
});
