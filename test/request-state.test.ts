import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStateSealer } from '../src/protocol/modern/request-state.js';
import { MODERN_VERSION, startStack, textOf, type Stack } from './helpers.js';
import { modernSession, type ModernSession } from './person-sessions.js';

/** The requestState of a 2026-07-28 input_required result: sealed, expiring, bound to the caller, shared by replicas. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

const runs = () => ({ ...stack.mastra.approvalToolRuns });

describe('requestState: sealed, expiring, bound to the caller', () => {
  const paused = {
    tool: 'ask_banker',
    handle: { kind: 'approval' as const, agentId: 'banker', runId: 'a-run-id-nobody-may-read', toolCallId: 'c1', toolName: 'transfer' },
    question: { message: 'Approve?', schema: { type: 'object' as const, properties: {} } },
    asked: 1,
  };
  const secret = 'a shared secret of at least 32 characters';

  it('opens for the identity it was sealed for, on any replica with the same secret; the run id is not readable', async () => {
    const state = await requestStateSealer(secret).seal(paused, 'alice');
    for (const part of state.split('.')) expect(Buffer.from(part, 'base64url').toString('latin1')).not.toMatch(/runId|a-run-id-nobody-may-read/);
    expect(await requestStateSealer(secret).open(state, 'alice')).toEqual(paused);
  });

  it('refuses another identity, another key, and a changed byte', async () => {
    const state = await requestStateSealer(secret).seal(paused, 'alice');
    await expect(requestStateSealer(secret).open(state, 'mallory')).rejects.toThrow();
    await expect(requestStateSealer('another secret of at least 32 characters!').open(state, 'alice')).rejects.toThrow();
    await expect(requestStateSealer().open(state, 'alice')).rejects.toThrow();
    const parts = state.split('.');
    parts[3] = `${parts[3]![0] === 'A' ? 'B' : 'A'}${parts[3]!.slice(1)}`;
    await expect(requestStateSealer(secret).open(parts.join('.'), 'alice')).rejects.toThrow();
  });

  it('two replicas with the same secret: the one that did not pause the run resumes it; one with another key refuses (-32602)', async () => {
    const paused1 = await modernSession(stack.mastra.url, undefined, { requestStates: requestStateSealer(secret) });
    const replica = await modernSession(stack.mastra.url, undefined, { requestStates: requestStateSealer(secret) });
    const stranger = await modernSession(stack.mastra.url, undefined, { requestStates: requestStateSealer() });
    const manual = new ModernClient(
      { name: 'manual', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN_VERSION } }, inputRequired: { autoFulfill: false } },
    );
    const before = runs().banker;
    try {
      // The first round, through a client that declares elicitation but answers by hand.
      const first = await startManual(manual, paused1);
      expect(first.resultType).toBe('input_required');
      const retry = {
        name: 'ask_banker',
        arguments: { message: 'move' },
        inputResponses: { answer: { action: 'accept', content: { approved: true } } },
        requestState: first.requestState,
      };
      await expect(callManual(manual, stranger, retry)).rejects.toThrow(/Invalid or expired requestState/);
      expect(runs().banker).toBe(before);
      const done = await callManual(manual, replica, retry);
      expect(textOf(done)).toContain('{"sum":5}');
      expect(runs().banker).toBe(before + 1);
      // The same answer replayed: Mastra's run is no longer waiting, so nothing runs twice.
      const replayed = await callManual(manual, replica, retry);
      expect(runs().banker).toBe(before + 1);
      expect(replayed.isError).toBe(true);
      expect(textOf(replayed)).toContain('is no longer waiting for an answer: it was answered already, or it ended');
    } finally {
      await manual.close();
      await Promise.all([paused1.close(), replica.close(), stranger.close()]);
    }
  });
});

describe('a retry that answers nothing', () => {
  it('is a misfit like any other: asked again once, the question repeated, then taken as a cancel; the tool never runs', async () => {
    const bridge = await modernSession(stack.mastra.url);
    const manual = new ModernClient(
      { name: 'manual', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN_VERSION } }, inputRequired: { autoFulfill: false } },
    );
    const before = runs().banker;
    const messageOf = (result: Record<string, unknown>) => (result.inputRequests as { answer: { params: { message: string } } }).answer.params.message;
    const retry = (requestState: unknown) =>
      callManual(manual, bridge, { name: 'ask_banker', arguments: { message: 'move' }, inputResponses: {}, requestState });
    try {
      const first = await startManual(manual, bridge);
      const again = await retry(first.requestState);
      expect(again.resultType).toBe('input_required');
      expect(messageOf(again).startsWith(`${messageOf(first as never)}\n\nThe last answer did not fit the form (`)).toBe(true);
      const last = await retry(again.requestState);
      expect(last.resultType).not.toBe('input_required');
      expect(textOf(last)).toContain('did not fit the form twice');
      expect(runs().banker).toBe(before);
    } finally {
      await manual.close();
      await bridge.close();
    }
  });
});

async function callManual(client: ModernClient, to: ModernSession, params: Record<string, unknown>) {
  await client.close().catch(() => {});
  await client.connect(new ModernHttpClientTransport(new URL(to.url)));
  return client.callTool(params as never, { allowInputRequired: true } as never) as Promise<Record<string, unknown>>;
}
const startManual = (client: ModernClient, to: ModernSession) =>
  callManual(client, to, { name: 'ask_banker', arguments: { message: 'move' } }) as Promise<{ resultType?: string; requestState?: string }>;
