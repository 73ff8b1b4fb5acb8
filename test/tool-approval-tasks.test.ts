import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, ERA_NAMES, textOf, type Era } from './support/mcp-clients.js';
import { approve, decline, type Elicit } from './support/person.js';
import { postModernTasks } from './support/raw-http.js';
import { streamLegacyTask, streamModernTask } from './support/task-streams.js';
import { waitFor } from './support/waiting.js';

/**
 * A person in the loop of a task: an agent tool that needs approval, called as a task, shows the task
 * `input_required` with the question (2025: relayed through tasks/result; 2026-07-28: on tasks/get,
 * answered with tasks/update), and runs only when the person approves. The fixture records every run
 * of the gated tools with its run's message, so "never ran" is a count of this call's runs.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

const runsOf = (message: string) => stack.mastra.approvalToolRuns.calls.filter((call) => call.agent === 'banker' && call.message === message).length;

/** The banker asked as a task by each era's own task client (2025 in memory, 2026-07-28 over HTTP), answering with `elicit`. */
async function bankerTask(era: Era, elicit: Elicit, message: string) {
  if (era === 'legacy') {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', elicit });
    try {
      return { ...(await streamLegacyTask(bridge.client, 'ask_banker', { message })), questions: bridge.questions };
    } finally {
      await bridge.close();
    }
  }
  const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', era: 'modern' });
  try {
    return await streamModernTask(bridge.modern, bridge.url, 'ask_banker', { message }, { elicit });
  } finally {
    await bridge.close();
  }
}

describe.each(ERA_CASES)('agent tool approval in a task, $name', ({ era }) => {
  for (const [how, elicit, ran] of [
    ['approved', approve, 1],
    ['declined', decline, 0],
  ] as const) {
    it(`${how}: the task shows input_required, the question is relayed through it, and the tool runs ${ran ? 'exactly once' : 'never'}`, async () => {
      const message = marked(`move as a task, ${how}`);
      const { statuses, questions, result } = await bankerTask(era, elicit, message);
      expect(statuses).toContain('input_required');
      expect(questions.map((question) => question.message)).toEqual([expect.stringContaining('wants to call tool "transfer"')]);
      expect(textOf(result).includes('{"sum":5}')).toBe(ran === 1);
      expect(runsOf(message)).toBe(ran);
    });
  }
});

describe(`agent tool approval in a ${ERA_NAMES.modern} task: tasks/update`, () => {
  it('an answer to a question no longer open is refused in words and runs nothing again', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
    const post = (method: string, params: Record<string, unknown>) => postModernTasks(bridge.url, method, params, undefined, { elicitation: { form: {} } });
    const message = marked('move, answered twice');
    try {
      const taskId = (await post('tools/call', { name: 'ask_banker', arguments: { message } })).result.taskId as string;
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
      expect(runsOf(message)).toBe(1);
    } finally {
      await bridge.close();
    }
  });
});
