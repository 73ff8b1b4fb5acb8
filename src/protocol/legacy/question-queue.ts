import { InMemoryTaskMessageQueue, type QueuedMessage } from '@modelcontextprotocol/sdk/experimental/tasks';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { RequestError } from '../../kernel/errors.js';
import type { CallerTasks } from '../../tasks/task-store.js';

/**
 * Where a 2025-11-25 task's question (`elicitation/create`) waits until `tasks/result` collects it:
 * in the session that started the task, in this process. Another session that can see the task (the
 * same caller on another replica sharing Redis, or beside it) can never receive that question; its
 * `tasks/result` would wait for an answer nobody can give there, so it is refused at once, in words.
 */
export class SessionQuestionQueue extends InMemoryTaskMessageQueue {
  constructor(private readonly tasks: CallerTasks) {
    super();
  }

  override async dequeue(taskId: string, sessionId?: string): Promise<QueuedMessage | undefined> {
    const message = await super.dequeue(taskId, sessionId);
    if (message || this.tasks.startedHere(taskId)) return message;
    if ((await this.tasks.getTask(taskId))?.status === 'input_required')
      throw new RequestError(
        ErrorCode.InvalidRequest,
        `Task ${taskId} waits for a person's answer, and its question can only be delivered by tasks/result in the MCP session that started the task (on the replica running it). Call tasks/result in that session to be asked; from here, tasks/get shows what it asks and tasks/cancel stops it.`,
      );
    return undefined;
  }
}
