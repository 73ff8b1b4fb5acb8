import type { Client as ModernClient } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, type CallToolResult, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { MODERN_VERSION } from './mcp-clients.js';
import type { Elicit } from './person.js';
import { rawDispatch } from './raw-http.js';

/** A task followed as each era's own client library follows it, from creation to result. */
export interface StreamedTask {
  /** The call answered a task (not a plain result). */
  created: boolean;
  /** Each status the client was shown, in order. */
  statuses: string[];
  /** The questions it was asked on the way (2026-07-28; a 2025 client's are its connection's `questions`). */
  questions: ElicitRequest['params'][];
  /** The result came last, and ended the stream. */
  endedWithResult: boolean;
  result: CallToolResult;
}

/** 2025-11-25: the v1 SDK's task stream (`callToolStream`), which relays a task's questions to the client's own elicitation handler. */
export async function streamLegacyTask(client: Client, name: string, args: Record<string, unknown>): Promise<StreamedTask> {
  const kinds: string[] = [];
  const statuses: string[] = [];
  let result: CallToolResult | undefined;
  for await (const message of client.experimental.tasks.callToolStream({ name, arguments: args }, CallToolResultSchema, { task: { ttl: 60_000 } })) {
    kinds.push(message.type);
    if (message.type === 'taskStatus') statuses.push(message.task.status);
    if (message.type === 'result') result = message.result as CallToolResult;
    if (message.type === 'error') throw message.error;
  }
  return { created: kinds[0] === 'taskCreated', statuses, questions: [], endedWithResult: kinds.at(-1) === 'result', result: result! };
}

/**
 * 2026-07-28: @modelcontextprotocol/ext-tasks over the bridge at `url` (its raw dispatch, since the v2 client's
 * codec refuses task wire shapes), answering each input request with `elicit`.
 */
export async function streamModernTask(
  client: ModernClient,
  url: string,
  name: string,
  args: Record<string, unknown>,
  options: { token?: string; elicit?: Elicit } = {},
): Promise<StreamedTask> {
  const questions: ElicitRequest['params'][] = [];
  const { elicit } = options;
  const session = createTaskSessionFromClient(client, {
    endpointId: 'bridge',
    rawDispatch: rawDispatch(url, options.token),
    v2RequestFraming: {
      protocolVersion: MODERN_VERSION,
      clientInfo: { name: 'test', version: '1.0.0' },
      clientCapabilities: elicit ? { elicitation: { form: {} } } : {},
    },
    // Asked only when the client declared elicitation, which it does with `elicit`.
    onInputRequest: async (request) => {
      questions.push(request.params as ElicitRequest['params']);
      return elicit!(request.params as never) as never;
    },
  });
  try {
    const execution = await session.callTool(name, args as never);
    const statuses: string[] = [];
    const { outcome } = await execution.settle({ onEvent: (event) => void (event.type === 'task' && statuses.push(event.task.status)) });
    return { created: execution.kind === 'task', statuses, questions, endedWithResult: true, result: resultFromTaskOutcome(outcome) as CallToolResult };
  } finally {
    await session.close();
  }
}
