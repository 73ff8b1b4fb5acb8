import { CallToolResultSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PROMPT_SECRET, type ApprovalToolCall } from './fixture/mastra-app.js';
import { startBridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { ERAS, textOf, type Era } from './support/mcp-clients.js';
import { approve, decline, dismiss, inTurn, refuse, type Elicit } from './support/person.js';

/**
 * A person in the loop: an agent tool that needs approval is asked through the client (2025-11-25
 * elicitation; 2026-07-28 input_required, the same test bodies), and runs only when the person approves.
 * The fixture records every run of the approval-gated tools with its run's message, so "never ran" is
 * a count of this call's runs, not a guess.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

/** How often `agent`'s gated tool ran for `message`. */
const runsOf = (agent: ApprovalToolCall['agent'], message: string) =>
  stack.mastra.approvalToolRuns.calls.filter((call) => call.agent === agent && call.message === message).length;

const ERA_NAMES = { legacy: '2025-11-25 elicitation', modern: '2026-07-28 input_required' } as const;

/** A person's client of `era`: 2025 in memory, 2026-07-28 over HTTP; with `elicit` it declares elicitation and answers with it. */
async function open(era: Era, elicit?: Elicit, settings: { autoApproveTools?: boolean } = {}) {
  const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: era === 'legacy' ? 'in-memory' : 'http', era, elicit, settings });
  return { ...bridge, call: (name: string, message: string) => bridge.client.callTool({ name, arguments: { message } }) as Promise<CallToolResult> };
}

describe.each(ERAS.map((era) => ({ era, name: ERA_NAMES[era] })))('agent tool approval, $name', ({ era }) => {
  for (const agent of ['banker', 'cautious'] as const) {
    it(`approved: ${agent}'s tool runs exactly once and the agent answers with its result`, async () => {
      const session = await open(era, approve);
      const message = marked('move 2 to 3');
      const result = await session.call(`ask_${agent}`, message);
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runsOf(agent, message)).toBe(1);
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
    ['declined', decline],
    ['cancelled', dismiss],
  ] as const) {
    it(`${how}: the tool never runs and the agent answers without it`, async () => {
      const session = await open(era, elicit);
      const message = marked('move');
      const result = await session.call('ask_banker', message);
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).not.toContain('{"sum":5}');
      expect(textOf(result)).toMatch(how === 'declined in the form' ? /not today/ : /declined|dismissed/);
      expect(textOf(result)).not.toContain('cannot be asked');
      expect(session.questions).toHaveLength(1);
      // The run answered: its tool can no longer run.
      expect(runsOf('banker', message)).toBe(0);
      await session.close();
    });
  }

  it('a run that pauses again is asked again: two approvals, two runs of the tool, one answer', async () => {
    const session = await open(era, approve);
    const message = marked('two transfers');
    const result = await session.call('ask_treasurer', message);
    expect(session.questions.map((q) => q.message)).toEqual([expect.stringContaining('{"a":2,"b":3}'), expect.stringContaining('{"a":4,"b":5}')]);
    expect(textOf(result)).toContain('{"sum":5} and then {"sum":9}');
    expect(runsOf('treasurer', message)).toBe(2);
    await session.close();
  });

  it('a client without elicitation: declined, the tool never runs, and the result says why', async () => {
    const session = await open(era);
    const message = marked('move');
    const result = await session.call('ask_banker', message);
    expect(textOf(result)).toContain('cannot be asked');
    expect(textOf(result)).not.toContain('{"sum":5}');
    expect(runsOf('banker', message)).toBe(0);
    await session.close();
  });

  it('an answer that does not fit the form is asked again once, repeating the question, then refused as a cancel', async () => {
    // Two misfits of different kinds: a wrong type, then a required field missing (with a key the form does not name).
    const session = await open(
      era,
      inTurn({ action: 'accept', content: { approved: 'yes please' } }, { action: 'accept', content: { reason: 'hm', extra: 1 } }),
    );
    const message = marked('move');
    const result = await session.call('ask_banker', message);
    expect(session.questions).toHaveLength(2);
    expect(session.questions[1]!.message).toMatch(
      /^Agent "Banker" wants to call tool "transfer" with these arguments: \{"a":2,"b":3\}\. Approve\?\n\nThe last answer did not fit the form/,
    );
    expect(textOf(result)).toContain('did not fit the form twice');
    expect(runsOf('banker', message)).toBe(0);
    await session.close();
  });

  it('a key the form does not name is dropped: approved once, the tool runs once', async () => {
    const session = await open(era, inTurn({ action: 'accept', content: { approved: true, extra: 1 } }));
    const message = marked('move');
    const result = await session.call('ask_banker', message);
    expect(session.questions).toHaveLength(1);
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runsOf('banker', message)).toBe(1);
    await session.close();
  });

  it('--auto-approve-tools: nobody is asked, the tools run', async () => {
    const session = await open(era, approve, { autoApproveTools: true });
    const message = marked('two transfers');
    const result = await session.call('ask_treasurer', message);
    expect(session.questions).toEqual([]);
    expect(textOf(result)).toContain('{"sum":5} and then {"sum":9}');
    expect(runsOf('treasurer', message)).toBe(2);
    await session.close();
  });
});

describe('agent tool approval, 2025-11-25, streamed', () => {
  it('streamed (with a progress token) the same: asked once, the tool runs once', async () => {
    const session = await open('legacy', approve);
    const message = marked('move');
    const messages: string[] = [];
    const result = await session.client.callTool({ name: 'ask_banker', arguments: { message } }, CallToolResultSchema, {
      onprogress: (p) => messages.push(p.message ?? ''),
    });
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runsOf('banker', message)).toBe(1);
    expect(messages).toContain(`tool transfer waits for a person's approval`);
    await session.close();
  });
});
