import { StreamableHTTPClientTransport as ModernHttpClientTransport, type Client as ModernClient } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStateSealer } from '../src/protocol/modern/request-state.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, startStack, type Stack } from './support/mastra.js';
import { modernClient, textOf } from './support/mcp-clients.js';

/** The requestState of a 2026-07-28 input_required result: sealed, expiring, bound to the caller, shared by replicas. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

/** How often the banker's tool ran for `message`. */
const runsOf = (message: string) => stack.mastra.approvalToolRuns.calls.filter((call) => call.message === message).length;

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
    const replica = (requestStates = requestStateSealer(secret)) =>
      startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', settings: { requestStates } });
    const [paused1, other, stranger] = await Promise.all([replica(), replica(), replica(requestStateSealer())]);
    const manual = modernClient('manual', { capabilities: { elicitation: { form: {} } }, inputRequired: { autoFulfill: false } } as never);
    const message = marked('move');
    try {
      // The first round, through a client that declares elicitation but answers by hand.
      const first = await startManual(manual, paused1, message);
      expect(first.resultType).toBe('input_required');
      const retry = {
        name: 'ask_banker',
        arguments: { message },
        inputResponses: { answer: { action: 'accept', content: { approved: true } } },
        requestState: first.requestState,
      };
      await expect(callManual(manual, stranger, retry)).rejects.toThrow(/Invalid or expired requestState/);
      expect(runsOf(message)).toBe(0);
      const done = await callManual(manual, other, retry);
      expect(textOf(done)).toContain('{"sum":5}');
      expect(runsOf(message)).toBe(1);
      // The same answer replayed: Mastra's run is no longer waiting, so nothing runs twice.
      const replayed = await callManual(manual, other, retry);
      expect(runsOf(message)).toBe(1);
      expect(replayed.isError).toBe(true);
      expect(textOf(replayed)).toContain('is no longer waiting for an answer: it was answered already, or it ended');
    } finally {
      await manual.close();
      await Promise.all([paused1.close(), other.close(), stranger.close()]);
    }
  });
});

describe('a retry that answers nothing', () => {
  it('is a misfit like any other: asked again once, the question repeated, then taken as a cancel; the tool never runs', async () => {
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none' });
    const manual = modernClient('manual', { capabilities: { elicitation: { form: {} } }, inputRequired: { autoFulfill: false } } as never);
    const message = marked('move');
    const messageOf = (result: Record<string, unknown>) => (result.inputRequests as { answer: { params: { message: string } } }).answer.params.message;
    const retry = (requestState: unknown) => callManual(manual, bridge, { name: 'ask_banker', arguments: { message }, inputResponses: {}, requestState });
    try {
      const first = await startManual(manual, bridge, message);
      const again = await retry(first.requestState);
      expect(again.resultType).toBe('input_required');
      expect(messageOf(again).startsWith(`${messageOf(first as never)}\n\nThe last answer did not fit the form (`)).toBe(true);
      const last = await retry(again.requestState);
      expect(last.resultType).not.toBe('input_required');
      expect(textOf(last)).toContain('did not fit the form twice');
      expect(runsOf(message)).toBe(0);
    } finally {
      await manual.close();
      await bridge.close();
    }
  });
});

async function callManual(client: ModernClient, to: Bridge, params: Record<string, unknown>) {
  await client.close().catch(() => {});
  await client.connect(new ModernHttpClientTransport(new URL(to.url)));
  return client.callTool(params as never, { allowInputRequired: true } as never) as Promise<Record<string, unknown>>;
}
const startManual = (client: ModernClient, to: Bridge, message: string) =>
  callManual(client, to, { name: 'ask_banker', arguments: { message } }) as Promise<{ resultType?: string; requestState?: string }>;
