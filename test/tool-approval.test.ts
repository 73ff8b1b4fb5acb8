import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { startStack, textOf, type Stack } from './helpers.js';
import { approve, inTurn, legacySession, refuse, sessionOf, type Elicit } from './person-sessions.js';

/**
 * A person in the loop: an agent tool that needs approval is asked
 * through the client (2025-11-25 elicitation; 2026-07-28 input_required, the same test bodies), and runs only when the person approves. The fixture counts every run of
 * the approval-gated tools, so "never ran" is an event count, not a guess.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

const runs = () => ({ ...stack.mastra.approvalToolRuns });

const ERA_NAMES = { legacy: '2025-11-25 elicitation', modern: '2026-07-28 input_required' } as const;

for (const era of ['legacy', 'modern'] as const)
  describe(`agent tool approval, ${ERA_NAMES[era]}`, () => {
    const open = (elicit?: Elicit, settings?: Parameters<typeof legacySession>[2]) => sessionOf[era](stack.mastra.url, elicit, settings);

    for (const agent of ['banker', 'cautious'] as const) {
      it(`approved: ${agent}'s tool runs exactly once and the agent answers with its result`, async () => {
        const session = await open(approve);
        const before = runs()[agent];
        const result = await session.call(`ask_${agent}`, 'move 2 to 3');
        expect(result.isError).toBeFalsy();
        expect(textOf(result)).toContain('{"sum":5}');
        expect(runs()[agent]).toBe(before + 1);
        expect(session.questions).toHaveLength(1);
        const [question] = session.questions;
        expect(question!.message).toMatch(
          new RegExp(`wants to call tool "${agent === 'banker' ? 'transfer' : 'add'}" with these arguments: \\{"a":2,"b":3\\}\\. Approve\\?`),
        );
        expect(question!.message).not.toContain(SYSTEM_PROMPT_SECRET);
        expect((question as { requestedSchema: { required: string[] } }).requestedSchema.required).toEqual(['approved']);
        await session.close();
      });
    }

    for (const [how, elicit] of [
      ['declined in the form', refuse],
      ['declined', (() => ({ action: 'decline' })) as Elicit],
      ['cancelled', (() => ({ action: 'cancel' })) as Elicit],
    ] as const) {
      it(`${how}: the tool never runs and the agent answers without it`, async () => {
        const session = await open(elicit);
        const before = runs().banker;
        const result = await session.call('ask_banker', 'move');
        expect(result.isError).toBeFalsy();
        expect(textOf(result)).not.toContain('{"sum":5}');
        expect(textOf(result)).toMatch(how === 'declined in the form' ? /not today/ : /declined|dismissed/);
        expect(textOf(result)).not.toContain('cannot be asked');
        expect(session.questions).toHaveLength(1);
        expect(runs().banker).toBe(before);
        await session.close();
      });
    }

    it('a run that pauses again is asked again: two approvals, two runs of the tool, one answer', async () => {
      const session = await open(approve);
      const before = runs().treasurer;
      const result = await session.call('ask_treasurer', 'two transfers');
      expect(session.questions.map((q) => q.message)).toEqual([expect.stringContaining('{"a":2,"b":3}'), expect.stringContaining('{"a":4,"b":5}')]);
      expect(textOf(result)).toContain('{"sum":5} and then {"sum":9}');
      expect(runs().treasurer).toBe(before + 2);
      await session.close();
    });

    it('a client without elicitation: declined, the tool never runs, and the result says why', async () => {
      const session = await open();
      const before = runs().banker;
      const result = await session.call('ask_banker', 'move');
      expect(textOf(result)).toContain('cannot be asked');
      expect(textOf(result)).not.toContain('{"sum":5}');
      expect(runs().banker).toBe(before);
      await session.close();
    });

    it('an answer that does not fit the form is asked again once, repeating the question, then refused as a cancel', async () => {
      // Two misfits of different kinds: a wrong type, then a required field missing (with a key the form does not name).
      const session = await open(inTurn({ action: 'accept', content: { approved: 'yes please' } }, { action: 'accept', content: { reason: 'hm', extra: 1 } }));
      const before = runs().banker;
      const result = await session.call('ask_banker', 'move');
      expect(session.questions).toHaveLength(2);
      expect(session.questions[1]!.message).toMatch(
        /^Agent "Banker" wants to call tool "transfer" with these arguments: \{"a":2,"b":3\}\. Approve\?\n\nThe last answer did not fit the form/,
      );
      expect(textOf(result)).toContain('did not fit the form twice');
      expect(runs().banker).toBe(before);
      await session.close();
    });

    it('a key the form does not name is dropped: approved once, the tool runs once', async () => {
      const session = await open(inTurn({ action: 'accept', content: { approved: true, extra: 1 } }));
      const before = runs().banker;
      const result = await session.call('ask_banker', 'move');
      expect(session.questions).toHaveLength(1);
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runs().banker).toBe(before + 1);
      await session.close();
    });

    it('--auto-approve-tools: nobody is asked, the tools run', async () => {
      const session = await open(approve, { autoApproveTools: true });
      const before = runs().treasurer;
      const result = await session.call('ask_treasurer', 'two transfers');
      expect(session.questions).toEqual([]);
      expect(textOf(result)).toContain('{"sum":5} and then {"sum":9}');
      expect(runs().treasurer).toBe(before + 2);
      await session.close();
    });
  });

describe('agent tool approval, 2025-11-25, streamed', () => {
  it('streamed (with a progress token) the same: asked once, the tool runs once', async () => {
    const session = await legacySession(stack.mastra.url, approve);
    const before = runs().banker;
    const messages: string[] = [];
    const result = await session.client.callTool({ name: 'ask_banker', arguments: { message: 'move' } }, CallToolResultSchema, {
      onprogress: (p) => messages.push(p.message ?? ''),
    });
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
    expect(messages).toContain(`tool transfer waits for a person's approval`);
    await session.close();
  });
});

describe('agent tool approval in a 2025-11-25 task', () => {
  async function approvalTask(elicit: Elicit) {
    const session = await legacySession(stack.mastra.url, elicit);
    const statuses: string[] = [];
    let result: unknown;
    const stream = session.client.experimental.tasks.callToolStream({ name: 'ask_banker', arguments: { message: 'as a task' } }, CallToolResultSchema, {
      task: { ttl: 60_000 },
    });
    for await (const message of stream) {
      if (message.type === 'taskStatus') statuses.push(message.task.status);
      if (message.type === 'result') result = message.result;
      if (message.type === 'error') throw message.error;
    }
    await session.close();
    return { result, statuses, questions: session.questions };
  }

  it('the task goes input_required, the question is relayed through it, and approval runs the tool once', async () => {
    const before = runs().banker;
    const { result, statuses, questions } = await approvalTask(approve);
    expect(statuses).toContain('input_required');
    expect(questions).toHaveLength(1);
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
  });

  it('declined through the task: the tool never runs', async () => {
    const before = runs().banker;
    const { result, questions } = await approvalTask(() => ({ action: 'decline' }));
    expect(questions).toHaveLength(1);
    expect(textOf(result)).not.toContain('{"sum":5}');
    expect(runs().banker).toBe(before);
  });
});
