import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CallToolResultSchema, ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentCatalogue } from '../src/catalogue/agents.js';
import { createServer } from '../src/protocol/legacy/server.js';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome, type RawClientDispatch } from '@modelcontextprotocol/ext-tasks/client';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { requestStateSealer } from '../src/person/request-state.js';
import { startHttp } from '../src/transports/http.js';
import { BIN, clientFor, MODERN_VERSION, startStack, textOf, type Stack } from './helpers.js';

/**
 * A person in the loop (issue 14 items 2 and 3): an agent tool that needs approval is asked
 * through the client, and runs only when the person approves. The fixture counts every run of
 * the approval-gated tools, so "never ran" is an event count, not a guess.
 */

type Elicit = (request: ElicitRequest['params']) => ElicitResult | Promise<ElicitResult>;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalAgents: true });
});
afterAll(() => stack?.close());

const runs = () => ({ ...stack.mastra.approvalToolRuns });

/** A 2025-11-25 session in this process; with `elicit`, the client declares elicitation and answers with it. */
async function legacySession(elicit?: Elicit, settings: { autoApproveTools?: boolean } = {}) {
  const catalogue = new AgentCatalogue({ client: clientFor(stack.mastra.url) });
  await catalogue.refresh();
  const server = createServer({ catalogue, client: clientFor(stack.mastra.url), baseUrl: stack.mastra.url, ...settings });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'person', version: '1.0.0' }, { capabilities: elicit ? { elicitation: { form: {} } } : {} });
  const questions: ElicitRequest['params'][] = [];
  if (elicit)
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      questions.push(request.params);
      return elicit(request.params);
    });
  await client.connect(clientSide);
  return { client, questions, close: () => client.close() };
}

const approve: Elicit = () => ({ action: 'accept', content: { approved: true } });
const refuse: Elicit = () => ({ action: 'accept', content: { approved: false, reason: 'not today' } });

describe('agent tool approval, 2025-11-25 elicitation', () => {
  for (const agent of ['banker', 'cautious'] as const) {
    it(`approved: ${agent}'s tool runs exactly once and the agent answers with its result`, async () => {
      const session = await legacySession(approve);
      const before = runs()[agent];
      const result = await session.client.callTool({ name: `ask_${agent}`, arguments: { message: 'move 2 to 3' } });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runs()[agent]).toBe(before + 1);
      expect(session.questions).toHaveLength(1);
      const [question] = session.questions;
      expect(question!.message).toMatch(new RegExp(`wants to call tool "${agent === 'banker' ? 'transfer' : 'add'}" with these arguments: \\{"a":2,"b":3\\}\\. Approve\\?`));
      expect(question!.message).not.toContain(SYSTEM_PROMPT_SECRET);
      expect((question as { requestedSchema: { required: string[] } }).requestedSchema.required).toEqual(['approved']);
      await session.close();
    });
  }

  it('streamed (with a progress token) the same: asked once, the tool runs once', async () => {
    const session = await legacySession(approve);
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

  for (const [how, elicit] of [
    ['declined in the form', refuse],
    ['declined', (() => ({ action: 'decline' })) as Elicit],
    ['cancelled', (() => ({ action: 'cancel' })) as Elicit],
  ] as const) {
    it(`${how}: the tool never runs and the agent answers without it`, async () => {
      const session = await legacySession(elicit);
      const before = runs().banker;
      const result = await session.client.callTool({ name: 'ask_banker', arguments: { message: 'move' } });
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).not.toContain('{"sum":5}');
      expect(textOf(result)).toMatch(how === 'declined in the form' ? /not today/ : /declined|dismissed/);
      expect(runs().banker).toBe(before);
      await session.close();
    });
  }

  it('a client without elicitation: declined, the tool never runs, and the result says why', async () => {
    const session = await legacySession();
    const before = runs().banker;
    const result = await session.client.callTool({ name: 'ask_banker', arguments: { message: 'move' } });
    expect(textOf(result)).toContain('cannot be asked');
    expect(textOf(result)).not.toContain('{"sum":5}');
    expect(runs().banker).toBe(before);
    await session.close();
  });

  it('an answer that does not fit the form is asked again once, then refused as a cancel', async () => {
    const session = await legacySession(() => ({ action: 'accept', content: { approved: 'yes please' } }));
    const before = runs().banker;
    const result = await session.client.callTool({ name: 'ask_banker', arguments: { message: 'move' } });
    expect(session.questions).toHaveLength(2);
    expect(session.questions[1]!.message).toContain('did not fit the form');
    expect(textOf(result)).toContain('did not fit the form twice');
    expect(runs().banker).toBe(before);
    await session.close();
  });

  it('--auto-approve-tools: nobody is asked, the tool runs once', async () => {
    const session = await legacySession(undefined, { autoApproveTools: true });
    const before = runs().banker;
    const result = await session.client.callTool({ name: 'ask_banker', arguments: { message: 'move' } });
    expect(textOf(result)).toContain('{"sum":5}');
    expect(runs().banker).toBe(before + 1);
    await session.close();
  });
});

/** A 2026-07-28 client over HTTP; with `elicit`, it declares elicitation and answers each input_required round with it. */
async function modernSession(elicit?: Elicit, settings: { autoApproveTools?: boolean; requestStates?: ReturnType<typeof requestStateSealer> } = {}) {
  const catalogue = new AgentCatalogue({ client: clientFor(stack.mastra.url) });
  await catalogue.refresh();
  const http = await startHttp({ catalogue, client: clientFor(stack.mastra.url), baseUrl: stack.mastra.url, port: 0, ...settings });
  const client = new ModernClient(
    { name: 'person', version: '1.0.0' },
    { capabilities: elicit ? { elicitation: { form: {} } } : {}, versionNegotiation: { mode: { pin: MODERN_VERSION } } },
  );
  const questions: ElicitRequest['params'][] = [];
  if (elicit)
    client.setRequestHandler('elicitation/create', async (request) => {
      questions.push(request.params as ElicitRequest['params']);
      return elicit(request.params as ElicitRequest['params']) as never;
    });
  await client.connect(new ModernHttpClientTransport(new URL(http.url)));
  return {
    client,
    questions,
    url: http.url,
    call: (name: string, message: string) => client.callTool({ name, arguments: { message } }),
    close: async () => {
      await client.close();
      await http.close({ graceMs: 0 });
    },
  };
}

describe('agent tool approval in a 2025-11-25 task', () => {
  async function approvalTask(elicit: Elicit) {
    const session = await legacySession(elicit);
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

describe('agent tool approval, 2026-07-28 input_required', () => {
  it('approved: asked once through input_required, the retry resumes the run, the tool runs exactly once', async () => {
    const session = await modernSession(approve);
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
      const session = await modernSession(elicit);
      const before = runs().cautious;
      const result = await session.call('ask_cautious', 'add');
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).not.toContain('{"sum":5}');
      expect(runs().cautious).toBe(before);
      expect(session.questions).toHaveLength(1);
      await session.close();
    });
  }

  it('a client without elicitation: declined at once, the tool never runs, and the result says why', async () => {
    const session = await modernSession();
    const before = runs().banker;
    const result = await session.call('ask_banker', 'move');
    expect(textOf(result)).toContain('cannot be asked');
    expect(runs().banker).toBe(before);
    await session.close();
  });

  it('an answer that does not fit the form is asked again once, then refused as a cancel', async () => {
    const session = await modernSession(() => ({ action: 'accept', content: { approved: 'yes please' } }));
    const before = runs().banker;
    const result = await session.call('ask_banker', 'move');
    expect(session.questions).toHaveLength(2);
    expect(textOf(result)).toContain('did not fit the form twice');
    expect(runs().banker).toBe(before);
    await session.close();
  });
});

describe('agent tool approval in a 2026-07-28 task (tasks/update with inputResponses)', () => {
  /** ext-tasks sends the framed requests itself (the SDK client's codec refuses task wire shapes). */
  const rawDispatch = (url: string): RawClientDispatch => {
    let id = 0;
    return async (request, options) => {
      const { method, params } = request as { method: string; params: { name?: string } };
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': MODERN_VERSION,
          'mcp-method': method,
          ...(method === 'tools/call' ? { 'mcp-name': params.name! } : {}),
          ...options?.context?.headers,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: options?.signal,
      });
      const text = await response.text();
      const messages = response.headers.get('content-type')?.includes('text/event-stream')
        ? text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)))
        : [JSON.parse(text)];
      const answer = messages.find((m: { id?: number }) => m.id !== undefined);
      return answer.error ? { kind: 'error', error: answer.error } : { kind: 'result', result: answer.result };
    };
  };

  for (const [how, elicit, ran] of [
    ['approved', approve, 1],
    ['declined', (() => ({ action: 'decline' })) as Elicit, 0],
  ] as const) {
    it(`${how}: the task shows input_required with the question, and the tool runs ${ran ? 'exactly once' : 'never'}`, async () => {
      const bridge = await modernSession();
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
});

describe('requestState: sealed, expiring, bound to the caller', () => {
  const paused = { tool: 'ask_banker', handle: { kind: 'approval' as const, agentId: 'banker', runId: 'r1', toolCallId: 'c1', toolName: 'transfer' }, question: { message: 'Approve?', schema: { type: 'object' as const, properties: {} } }, asked: 1 };
  const secret = 'a shared secret of at least 32 characters';

  it('opens for the identity it was sealed for, on any replica with the same secret; the run id is not readable', async () => {
    const state = await requestStateSealer(secret).seal(paused, 'alice');
    expect(state).not.toContain('r1');
    expect(Buffer.from(state.split('.').join(''), 'base64url').toString('latin1')).not.toContain('"runId"');
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
    const paused1 = await modernSession(undefined, { requestStates: requestStateSealer(secret) });
    const replica = await modernSession(undefined, { requestStates: requestStateSealer(secret) });
    const stranger = await modernSession(undefined, { requestStates: requestStateSealer() });
    const manual = new ModernClient({ name: 'manual', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN_VERSION } }, inputRequired: { autoFulfill: false } });
    const before = runs().banker;
    try {
      // The first round, through a client that declares elicitation but answers by hand.
      const first = await startManual(manual, paused1);
      expect(first.resultType).toBe('input_required');
      const retry = { name: 'ask_banker', arguments: { message: 'move' }, inputResponses: { answer: { action: 'accept', content: { approved: true } } }, requestState: first.requestState };
      await expect(callManual(manual, stranger, retry)).rejects.toThrow(/Invalid or expired requestState/);
      expect(runs().banker).toBe(before);
      const done = await callManual(manual, replica, retry);
      expect(textOf(done)).toContain('{"sum":5}');
      expect(runs().banker).toBe(before + 1);
    } finally {
      await manual.close();
      await Promise.all([paused1.close(), replica.close(), stranger.close()]);
    }
  });
});

type Session = Awaited<ReturnType<typeof modernSession>>;
/** The bridge a session reached; a manual client posts to it directly. */
const urlOf = (session: Session) => session.url;

async function callManual(client: ModernClient, to: Session, params: Record<string, unknown>) {
  await client.close().catch(() => {});
  await client.connect(new ModernHttpClientTransport(new URL(urlOf(to))));
  return client.callTool(params as never, { allowInputRequired: true } as never) as Promise<Record<string, unknown>>;
}
const startManual = (client: ModernClient, to: Session) =>
  callManual(client, to, { name: 'ask_banker', arguments: { message: 'move' } }) as Promise<{ resultType?: string; requestState?: string }>;

describe('--auto-approve-tools on the bin', () => {
  for (const [how, args, env] of [
    ['the flag', ['--auto-approve-tools'], {}],
    ['its env twin', [], { MCP_AUTO_APPROVE_TOOLS: '1' }],
  ] as const) {
    it(`${how}: nobody is asked, the tool runs once`, async () => {
      const client = new Client({ name: 'auto', version: '1.0.0' });
      await client.connect(
        new StdioClientTransport({ command: process.execPath, args: [BIN, ...args], env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url, LOG_LEVEL: 'warn', ...env }, stderr: 'pipe' }),
      );
      const before = runs().cautious;
      const result = await client.callTool({ name: 'ask_cautious', arguments: { message: 'add' } });
      expect(textOf(result)).toContain('{"sum":5}');
      expect(runs().cautious).toBe(before + 1);
      await client.close();
    });
  }
});
