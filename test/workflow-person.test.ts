import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientFor, MODERN_VERSION, startStack, textOf, type Stack } from './helpers.js';
import { rawDispatch } from './http-helpers.js';
import { inTurn, legacySession, modernSession, type Elicit } from './person-sessions.js';

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
const decline: Elicit = () => ({ action: 'decline' });
const cancel: Elicit = () => ({ action: 'cancel' });

/** The expense workflow's ask-manager step, asked as a form: its resumeSchema, flat. */
const expenseForm = {
  type: 'object',
  properties: { approved: { type: 'boolean', description: 'Approve the expense?' }, note: { type: 'string', description: 'A note for the requester.' } },
  required: ['approved'],
};

const runIdIn = (text: string) => /runId "([0-9a-f-]{36})"/.exec(text)?.[1];
const statusOf = async (workflowId: string, text: string) => (await clientFor(stack.mastra.url).getWorkflow(workflowId).runById(runIdIn(text)!)).status;

type Call = (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
interface Era {
  name: string;
  open(elicit?: Elicit): Promise<{ call: Call; questions: { message: string; requestedSchema?: unknown }[]; close(): Promise<void> }>;
}

const eras: Era[] = [
  {
    name: '2025-11-25 elicitation',
    async open(elicit) {
      const session = await legacySession(stack.mastra.url, elicit);
      return { ...session, call: (name, args) => session.client.callTool({ name, arguments: args }) as Promise<CallToolResult> };
    },
  },
  {
    name: '2026-07-28 input_required',
    async open(elicit) {
      const session = await modernSession(stack.mastra.url, elicit);
      return { ...session, call: (name, args) => session.client.callTool({ name, arguments: args }) as Promise<CallToolResult> };
    },
  },
];

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
    const session = await legacySession(stack.mastra.url, inTurn({ action: 'accept', content }));
    const statuses: string[] = [];
    let result: CallToolResult | undefined;
    try {
      const stream = session.client.experimental.tasks.callToolStream({ name: 'run_expense', arguments: { item: 'desk', amount: 5 } }, CallToolResultSchema, {
        task: { ttl: 60_000 },
      });
      for await (const message of stream) {
        if (message.type === 'taskStatus') statuses.push(message.task.status);
        if (message.type === 'result') result = message.result as CallToolResult;
        if (message.type === 'error') throw message.error;
      }
    } finally {
      await session.close();
    }
    expect(statuses).toContain('input_required');
    expect(session.questions.map((q) => (q as { requestedSchema?: unknown }).requestedSchema)).toEqual([expenseForm]);
    expect(result?.structuredContent).toEqual({ status: 'approved: fine' });
  });

  for (const [how, elicit] of [
    ['answered', answer],
    ['answered with a key the form does not name', answerWithExtra],
    ['declined', decline],
  ] as const) {
    it(`2026-07-28: the task shows input_required with the form; ${how} through tasks/update`, async () => {
      const bridge = await modernSession(stack.mastra.url);
      const questions: unknown[] = [];
      const session = createTaskSessionFromClient(bridge.client, {
        endpointId: 'bridge',
        rawDispatch: rawDispatch(bridge.url),
        v2RequestFraming: {
          protocolVersion: MODERN_VERSION,
          clientInfo: { name: 'person', version: '1.0.0' },
          clientCapabilities: { elicitation: { form: {} } },
        },
        onInputRequest: async (request) => {
          questions.push((request.params as { requestedSchema?: unknown }).requestedSchema);
          // Once: a bridge that asks again gets a cancel.
          return (questions.length > 1 ? cancel : elicit)(request.params as never) as never;
        },
      });
      try {
        const execution = await session.callTool('run_expense', { item: 'phone', amount: 700 });
        expect(execution.kind).toBe('task');
        const seen: string[] = [];
        const { outcome } = await execution.settle({ onEvent: (event) => void (event.type === 'task' && seen.push(event.task.status)) });
        expect(seen).toContain('input_required');
        expect(questions).toEqual([expenseForm]);
        const result = resultFromTaskOutcome(outcome) as CallToolResult;
        if (how !== 'declined') expect(result.structuredContent).toEqual({ status: 'approved: fine' });
        else expect(await statusOf('expense', textOf(result))).toBe('canceled');
      } finally {
        await session.close();
        await bridge.close();
      }
    });
  }
});
