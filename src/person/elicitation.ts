import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { answerProblem, type Asked, type Asker } from './drive.js';

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

/** Asks through elicitation when this session's client can answer a form; asks again once when an answer does not fit. */
export function elicitationAsker(server: Server, options: ElicitationOptions): Asker {
  return async (question): Promise<Asked> => {
    if (!server.getClientCapabilities()?.elicitation?.form) return { action: 'unanswerable' };
    const requestOptions: RequestOptions = {
      signal: options.signal,
      timeout: ELICITATION_TIMEOUT_MS,
      ...(options.relatedRequestId !== undefined ? { relatedRequestId: options.relatedRequestId } : {}),
      ...(options.task ? { relatedTask: { taskId: options.task.taskId } } : {}),
    };
    let why = '';
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const message = attempt === 0 ? question.message : `${question.message}\n\nThe last answer did not fit the form (${why}); please answer again.`;
      const asking = server.elicitInput({ mode: 'form', message, requestedSchema: question.schema as never }, requestOptions);
      await options.task?.waiting(question.message);
      try {
        const result = await asking;
        if (result.action !== 'accept') return { action: result.action };
        const problem = answerProblem(question.schema, result.content ?? {});
        if (problem === undefined) return { action: 'accept', content: result.content ?? {} };
        why = problem;
      } catch (error) {
        options.signal?.throwIfAborted();
        if (!isMismatch(error)) {
          // A client that fails to answer (an error, a timeout) has not approved anything: the question is withdrawn.
          return { action: 'cancel' };
        }
        why = (error as McpError).message.replace(/^MCP error -?\d+: /, '');
      } finally {
        await options.task?.waiting(undefined);
      }
    }
    return { action: 'invalid', why };
  };
}
