import { inputResponse, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { RequestError } from '../../kernel/errors.js';
import type { TaskRunContext } from '../../tasks/task-runner.js';
import type { SharedInputs } from '../../tasks/task-store.js';
import { replyOf, type Asker, type Reply } from '../../calls/person-loop.js';
import type { Question } from '../../kernel/run-outcome.js';

/**
 * The 2026-07-28 task way to ask a person (the `io.modelcontextprotocol/tasks` extension): the
 * task goes `input_required` and `tasks/get` shows its `inputRequests`; the client answers with
 * `tasks/update {inputResponses}`, and the run resumes. The question waits in this process, beside
 * the run that asked it; with a shared store (Redis) it is also kept with the task, so any replica
 * shows it, and the answer travels from the replica that took it to the one running the task.
 */

/** Larger than any question the bridge asks (tool arguments are shortened); a larger one is not put in the shared store. */
export const MAX_SHARED_QUESTION_BYTES = 64 * 1024;

const notPending = (taskId: string) =>
  new RequestError(
    ProtocolErrorCode.InvalidParams,
    `Task ${taskId} has no open question that these inputResponses answer: it was answered already, or it asks something else now (tasks/get shows its inputRequests, if any).`,
  );

interface Pending {
  key: string;
  question: Question;
  message: string;
  answer(response: unknown): void;
}

const requestsOf = (open: Pending): Record<string, unknown> => ({
  [open.key]: { method: 'elicitation/create', params: { mode: 'form', message: open.message, requestedSchema: open.question.schema } },
});

/** The one open question of each task that waits for a person, by task id. */
export class TaskQuestions {
  private readonly pending = new Map<string, Pending>();
  private rounds = 0;

  /** The task's open input requests, for tasks/get; undefined when it asks nothing. `shared`: the store's copy, read on any replica. */
  async inputRequestsOf(taskId: string, shared?: SharedInputs): Promise<Record<string, unknown> | undefined> {
    if (shared) return shared.shown(taskId);
    const open = this.pending.get(taskId);
    return open && requestsOf(open);
  }

  /**
   * A tasks/update: the response to the task's open request reaches its run, once; an answer to no
   * open request is refused. With a shared store the store takes it, whichever replica runs the task.
   */
  async update(taskId: string, responses: Record<string, unknown> | undefined, shared?: SharedInputs): Promise<void> {
    if (shared) {
      if (!responses || !(await shared.answer(taskId, responses))) throw notPending(taskId);
      return;
    }
    const open = this.pending.get(taskId);
    if (!open || !responses || !(open.key in responses)) throw notPending(taskId);
    this.deliver(taskId, open.key, responses[open.key]);
  }

  /** The answer to round `key` of the task, from a tasks/update here or on another replica. */
  private deliver(taskId: string, key: string, response: unknown): void {
    const open = this.pending.get(taskId);
    if (open?.key !== key) return;
    this.pending.delete(taskId);
    open.answer(response);
  }

  /** Puts a question in the task, once, when the client that started it declared elicitation; each round has a key of its own. */
  askerFor(task: TaskRunContext, canElicit: boolean, shared?: SharedInputs): Asker {
    return async (question, _handle, message): Promise<Reply> => {
      if (!canElicit) return { action: 'unanswerable' };
      // What every replica would show must stay small; the bridge's own questions always are.
      if (shared && Buffer.byteLength(JSON.stringify(question)) > MAX_SHARED_QUESTION_BYTES) return { action: 'unanswerable' };
      const response = await this.wait(task, question, message, shared);
      const view = inputResponse({ answer: response } as never, 'answer');
      if (view.kind !== 'elicit') return { action: 'misfit', why: 'the response is not an elicitation result' };
      return replyOf(view);
    };
  }

  private async wait(task: TaskRunContext, question: Question, message: string, shared?: SharedInputs): Promise<unknown> {
    const { taskId, signal } = task;
    signal.throwIfAborted();
    this.rounds += 1;
    let onAbort = () => {};
    let answer: (value: unknown) => void = () => {};
    const response = new Promise<unknown>((resolve, reject) => {
      onAbort = () => reject(signal.reason);
      answer = resolve;
    });
    // Awaited below; an abort while the question is being shown must not count as unhandled meanwhile.
    response.catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    const pending: Pending = { key: `answer-${this.rounds}`, question, message, answer };
    this.pending.set(taskId, pending);
    const stopHearing = shared?.onAnswer(taskId, (key, value) => this.deliver(taskId, key, value));
    try {
      // Shown before the status says input_required, so a client that sees the status finds the question.
      await shared?.show(taskId, pending.key, requestsOf(pending));
      await task.waiting(question.message);
      return await response;
    } finally {
      signal.removeEventListener('abort', onAbort);
      stopHearing?.();
      if (this.pending.get(taskId) === pending) this.pending.delete(taskId);
      await task.waiting(undefined);
    }
  }
}
