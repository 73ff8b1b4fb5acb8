import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { clientFor, startStack, type Stack } from './support/mastra.js';
import { ERA_NAMES, textOf, type Era } from './support/mcp-clients.js';
import { decline, dismiss, inTurn, type Elicit } from './support/person.js';
import { streamLegacyTask, streamModernTask } from './support/task-streams.js';

/**
 * A suspended workflow step asks the person, through the same drivers as an agent
 * tool approval: 2025 elicitation, 2026 input_required with sealed request state, a task's input
 * request in both eras. Decline and cancel cancel the run upstream; Mastra's own record of the run
 * (runById) says so, and that a run nobody could be asked about still waits.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
});
afterAll(() => stack?.close());

const answer: Elicit = () => ({ action: 'accept', content: { approved: true, note: 'fine' } });
/** A client that adds a key of its own to the form's. */
const answerWithExtra: Elicit = () => ({ action: 'accept', content: { approved: true, note: 'fine', extra: 1 } });
const cancel = dismiss;

/** The expense workflow's ask-manager step, asked as a form: its resumeSchema, flat. */
const expenseForm = {
  type: 'object',
  properties: { approved: { type: 'boolean', description: 'Approve the expense?' }, note: { type: 'string', description: 'A note for the requester.' } },
  required: ['approved'],
};

const runIdIn = (text: string) => /runId "([0-9a-f-]{36})"/.exec(text)?.[1];
const statusOf = async (workflowId: string, text: string) => (await clientFor(stack.mastra.url).getWorkflow(workflowId).runById(runIdIn(text)!)).status;

type Call = (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
interface PersonEra {
  name: string;
  open(elicit?: Elicit): Promise<{ call: Call; questions: { message: string; requestedSchema?: unknown }[]; close(): Promise<void> }>;
}

/** A person's client of `era`: 2025 elicitation in memory, 2026-07-28 input_required over HTTP. */
const personEra = (era: Era, name: string): PersonEra => ({
  name,
  async open(elicit) {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: era === 'legacy' ? 'in-memory' : 'http', era, elicit });
    return { ...bridge, call: (tool, args) => bridge.client.callTool({ name: tool, arguments: args }) as Promise<CallToolResult> };
  },
});

const eras: PersonEra[] = [personEra('legacy', `${ERA_NAMES.legacy} elicitation`), personEra('modern', `${ERA_NAMES.modern} input_required`)];

describe.each(eras)('a suspended workflow step, $name', (era) => {
  it('is asked with its resumeSchema as the form; the answer resumes the run to its output', async () => {
    const session = await era.open(answer);
    try {
      const result = await session.call('run_expense', { item: 'desk', amount: 300 });
      expect(session.questions).toHaveLength(1);
      expect(session.questions[0]!.message).toContain('waits for your answer at step "ask-manager". It says: {"reason":"desk costs 300"}');
      expect(session.questions[0]!.requestedSchema).toEqual(expenseForm);
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ status: 'approved: fine' });
    } finally {
      await session.close();
    }
  });

  for (const [how, elicit, said] of [
    ['declined', decline, 'The person declined to answer.'],
    ['cancelled', cancel, 'The person cancelled the question.'],
  ] as const) {
    it(`${how}: the run is cancelled upstream and the result says so`, async () => {
      const session = await era.open(elicit);
      try {
        const result = await session.call('run_expense', { item: 'chair', amount: 90 });
        expect(session.questions).toHaveLength(1);
        expect(result.isError).toBe(true);
        expect(textOf(result)).toContain(said);
        expect(textOf(result)).toContain('was cancelled on the Mastra server');
        expect(await statusOf('expense', textOf(result))).toBe('canceled');
      } finally {
        await session.close();
      }
    });
  }

  it('an answer that does not fit the form is asked again once, repeating the question, then taken as a cancel: the run is cancelled upstream', async () => {
    // Two misfits of different kinds: a wrong type, then a required field missing.
    const session = await era.open(inTurn({ action: 'accept', content: { approved: 'sure' } }, { action: 'accept', content: { note: 'no approval' } }));
    try {
      const result = await session.call('run_expense', { item: 'bike', amount: 12 });
      expect(session.questions).toHaveLength(2);
      expect(session.questions[1]!.message).toContain('did not fit the form');
      expect(session.questions[1]!.message.startsWith(session.questions[0]!.message)).toBe(true);
      expect(session.questions[1]!.message).toContain('It says: {"reason":"bike costs 12"}');
      expect(textOf(result)).toContain('did not fit the form twice');
      expect(await statusOf('expense', textOf(result))).toBe('canceled');
    } finally {
      await session.close();
    }
  });

  it('a key the form does not name is dropped: the answer is taken as it is, asked once, and resumes the run', async () => {
    const session = await era.open(inTurn({ action: 'accept', content: { approved: true, note: 'fine', extra: 1 } }));
    try {
      const result = await session.call('run_expense', { item: 'mouse', amount: 20 });
      expect(session.questions).toHaveLength(1);
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ status: 'approved: fine' });
    } finally {
      await session.close();
    }
  });

  it('a misfit, then an answer with a key the form does not name: asked again once, with the question repeated, and the second answer resumes the run', async () => {
    const session = await era.open(
      inTurn({ action: 'accept', content: { approved: 'sure', extra: 1 } }, { action: 'accept', content: { approved: true, note: 'second try', extra: 2 } }),
    );
    try {
      const result = await session.call('run_expense', { item: 'cable', amount: 7 });
      expect(session.questions.map((question) => question.message)).toEqual([
        expect.stringContaining('waits for your answer at step "ask-manager". It says: {"reason":"cable costs 7"}'),
        expect.stringMatching(
          /^The workflow "expense" waits for your answer at step "ask-manager"\. It says: \{"reason":"cable costs 7"\}\n\nThe last answer did not fit the form/,
        ),
      ]);
      expect(result.structuredContent).toEqual({ status: 'approved: second try' });
    } finally {
      await session.close();
    }
  });

  it('a client without elicitation: nobody is asked, the run stays suspended in Mastra, and the result says how to resume it', async () => {
    const session = await era.open();
    try {
      const result = await session.call('run_expense', { item: 'lamp', amount: 40 });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('suspended at step "ask-manager"');
      expect(textOf(result)).toContain('call resume_expense with');
      expect(await statusOf('expense', textOf(result))).toBe('suspended');
    } finally {
      await session.close();
    }
  });

  it('a resumeSchema that cannot be a form is not asked: the run stays suspended, the result says to answer with resume_shipping', async () => {
    const session = await era.open(answer);
    try {
      const result = await session.call('run_shipping', { name: 'Ada' });
      expect(session.questions).toEqual([]);
      expect(textOf(result)).toContain('cannot be asked through an MCP client');
      expect(await statusOf('shipping', textOf(result))).toBe('suspended');
    } finally {
      await session.close();
    }
  });
});

describe('a suspended workflow step in a task', () => {
  it.each([
    ['answered', { approved: true, note: 'fine' }],
    ['answered with a key the form does not name', { approved: true, note: 'fine', extra: 1 }],
  ])('2025-11-25: the task goes input_required, the question is relayed through it, and the answer resumes the run (%s)', async (_, content) => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', elicit: inTurn({ action: 'accept', content }) });
    let streamed: Awaited<ReturnType<typeof streamLegacyTask>>;
    try {
      streamed = await streamLegacyTask(bridge.client, 'run_expense', { item: 'desk', amount: 5 });
    } finally {
      await bridge.close();
    }
    expect(streamed.statuses).toContain('input_required');
    expect(bridge.questions.map((q) => (q as { requestedSchema?: unknown }).requestedSchema)).toEqual([expenseForm]);
    expect(streamed.result?.structuredContent).toEqual({ status: 'approved: fine' });
  });

  for (const [how, elicit] of [
    ['answered', answer],
    ['answered with a key the form does not name', answerWithExtra],
    ['declined', decline],
  ] as const) {
    it(`2026-07-28: the task shows input_required with the form; ${how} through tasks/update`, async () => {
      const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', era: 'modern' });
      let asked = 0;
      try {
        const { created, statuses, questions, result } = await streamModernTask(
          bridge.modern,
          bridge.url,
          'run_expense',
          { item: 'phone', amount: 700 },
          // Once: a bridge that asks again gets a cancel.
          { elicit: (request) => (++asked > 1 ? cancel : elicit)(request) },
        );
        expect(created).toBe(true);
        expect(statuses).toContain('input_required');
        expect(questions.map((question) => (question as { requestedSchema?: unknown }).requestedSchema)).toEqual([expenseForm]);
        if (how !== 'declined') expect(result.structuredContent).toEqual({ status: 'approved: fine' });
        else expect(await statusOf('expense', textOf(result))).toBe('canceled');
      } finally {
        await bridge.close();
      }
    });
  }
});
