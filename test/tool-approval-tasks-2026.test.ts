import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_VERSION, startStack, textOf, waitFor, type Stack } from './helpers.js';
import { postModernTasks, rawDispatch } from './http-helpers.js';
import { approve, modernSession, type Elicit } from './person-sessions.js';

/**
 * A person in the loop: an agent tool that needs approval, called as a
 * 2026-07-28 task, is asked through tasks/get and answered with tasks/update, and runs only when the person approves. The fixture counts every run of
 * the approval-gated tools, so "never ran" is an event count, not a guess.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

const runs = () => ({ ...stack.mastra.approvalToolRuns });

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
        v2RequestFraming: {
          protocolVersion: MODERN_VERSION,
          clientInfo: { name: 'person', version: '1.0.0' },
          clientCapabilities: { elicitation: { form: {} } },
        },
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
      expect((await post('tasks/update', approval)).error).toMatchObject({
        code: -32602,
        message: expect.stringContaining('has no open question that these inputResponses answer'),
      });
      await waitFor('the task to complete', async () => (await post('tasks/get', { taskId })).result.status === 'completed');
      expect(runs().banker).toBe(before + 1);
    } finally {
      await bridge.close();
    }
  });
});
