import { inputResponse } from '@modelcontextprotocol/server';
import type { TaskRunContext } from '../tasks/agent-task.js';
import { answerProblem, type Asked, type Asker } from './drive.js';
import type { Question } from './pause.js';

/**
 * The 2026-07-28 task way to ask a person (the `io.modelcontextprotocol/tasks` extension): the
 * task goes `input_required` and `tasks/get` shows its `inputRequests`; the client answers with
 * `tasks/update {inputResponses}`, and the run resumes. The question waits in this process, beside
 * the run that asked it: the update must reach the replica running the task, as its cancel does.
 */

interface Pending {
  key: string;
  question: Question;
  message: string;
  answer(response: unknown): void;
}

/** The one open question of each task that waits for a person, by task id. */
export class TaskQuestions {
  private readonly pending = new Map<string, Pending>();
  private rounds = 0;

  /** The task's open input requests, for tasks/get; undefined when it asks nothing. */
  inputRequestsOf(taskId: string): Record<string, unknown> | undefined {
    const open = this.pending.get(taskId);
    if (!open) return undefined;
    return { [open.key]: { method: 'elicitation/create', params: { mode: 'form', message: open.message, requestedSchema: open.question.schema } } };
  }

  /** A tasks/update: the responses for the task's open request (others are ignored, as stale or unknown). */
  update(taskId: string, responses: Record<string, unknown> | undefined): void {
    const open = this.pending.get(taskId);
    if (!open || !responses || !(open.key in responses)) return;
    this.pending.delete(taskId);
    open.answer(responses[open.key]);
  }

  /** Asks in the task when the client that started it declared elicitation; each round has a key of its own. */
  askerFor(task: TaskRunContext, canElicit: boolean): Asker {
    return async (question): Promise<Asked> => {
      if (!canElicit) return { action: 'unanswerable' };
      let why = '';
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const message = attempt === 0 ? question.message : `${question.message}\n\nThe last answer did not fit the form (${why}); please answer again.`;
        const response = await this.wait(task, question, message);
        const view = inputResponse({ answer: response } as never, 'answer');
        if (view.kind !== 'elicit') {
          why = 'the response is not an elicitation result';
          continue;
        }
        if (view.action !== 'accept') return { action: view.action };
        const problem = answerProblem(question.schema, view.content ?? {});
        if (problem === undefined) return { action: 'accept', content: view.content ?? {} };
        why = problem;
      }
      return { action: 'invalid', why };
    };
  }

  private async wait(task: TaskRunContext, question: Question, message: string): Promise<unknown> {
    const { taskId, signal } = task;
    signal.throwIfAborted();
    const response = new Promise<unknown>((resolve, reject) => {
      const onAbort = () => {
        this.pending.delete(taskId);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.rounds += 1;
      this.pending.set(taskId, {
        key: `answer-${this.rounds}`,
        question,
        message,
        answer: (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
      });
    });
    await task.waiting(question.message);
    try {
      return await response;
    } finally {
      await task.waiting(undefined);
    }
  }
}
