import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { replyOf, type Asker, type Reply } from '../../calls/person-loop.js';

/**
 * The 2025-11-25 way to ask a person: `elicitation/create` (form mode) to a client that declared
 * the elicitation capability, on the call's own stream, or through its task (the request is queued
 * for the task and delivered by `tasks/result`, while the task shows `input_required`).
 */

/** A person takes their time; the SDK's default 60 s request timeout is meant for machines. Same as the v2 SDK's round timeout. */
export const ELICITATION_TIMEOUT_MS = 600_000;

/** The SDK checks an accepted answer against the form and refuses one that does not fit with this. */
const isMismatch = (error: unknown) => error instanceof McpError && error.code === ErrorCode.InvalidParams && /does not match/.test(error.message);

export interface ElicitationOptions {
  /** The call's signal: a cancelled call withdraws its question. */
  signal?: AbortSignal;
  /** A plain call: the question goes on that request's stream. */
  relatedRequestId?: RequestOptions['relatedRequestId'];
  /** A task: the question is queued for it, and the task shows `input_required` meanwhile. */
  task?: { taskId: string; waiting(question: string | undefined): Promise<void> };
}

/** Puts a question through elicitation, once, when this session's client can answer a form (calls/person-loop.ts asks again when the answer does not fit). */
export function elicitationAsker(server: Server, options: ElicitationOptions): Asker {
  return async (question, _handle, message): Promise<Reply> => {
    if (!server.getClientCapabilities()?.elicitation?.form) return { action: 'unanswerable' };
    const requestOptions: RequestOptions = {
      signal: options.signal,
      timeout: ELICITATION_TIMEOUT_MS,
      ...(options.relatedRequestId !== undefined ? { relatedRequestId: options.relatedRequestId } : {}),
      ...(options.task ? { relatedTask: { taskId: options.task.taskId } } : {}),
    };
    const asking = server.elicitInput({ mode: 'form', message, requestedSchema: question.schema as never }, requestOptions);
    await options.task?.waiting(question.message);
    try {
      return replyOf(await asking);
    } catch (error) {
      options.signal?.throwIfAborted();
      // What the SDK refuses against the form is a misfit like any other.
      if (isMismatch(error)) return { action: 'misfit', why: (error as McpError).message.replace(/^MCP error -?\d+: /, '') };
      // A client that fails to answer (an error, a timeout) has not approved anything: the question is withdrawn.
      return { action: 'cancel' };
    } finally {
      await options.task?.waiting(undefined);
    }
  };
}
