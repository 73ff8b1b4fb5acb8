import type { SharedInputs } from '../task-store.js';
import { taskNotFound } from '../task-states.js';
import type { RedisStoreView } from './redis-store-view.js';

/**
 * A waiting task's question in Redis, beside its status: every replica's tasks/get shows it, and a
 * tasks/update on any replica takes the answer (once, atomically) and publishes it on the answer
 * channel, which the replica running the task hears as it hears a cancel.
 */
export class RedisTaskInputs implements SharedInputs {
  constructor(
    private readonly store: RedisStoreView,
    private readonly identity: string,
  ) {}

  async show(taskId: string, key: string, inputRequests: Record<string, unknown>): Promise<void> {
    const { keys } = this.store;
    const answer = await this.store.call((redis) =>
      redis.inputShow(keys.task(taskId), this.identity, key, JSON.stringify(inputRequests), this.store.runnerOf(taskId), new Date().toISOString()),
    );
    if (answer === 'missing') throw taskNotFound(taskId);
    if (answer.startsWith('terminal:')) throw new Error(`Task ${taskId} is already ${answer.slice('terminal:'.length)}`);
  }

  async shown(taskId: string): Promise<Record<string, unknown> | undefined> {
    const { keys } = this.store;
    const requests = await this.store.call((redis) => redis.inputShown(keys.task(taskId), this.identity));
    return requests ? (JSON.parse(requests) as Record<string, unknown>) : undefined;
  }

  async answer(taskId: string, responses: Record<string, unknown>): Promise<boolean> {
    const { keys } = this.store;
    const pairs = Object.entries(responses).flatMap(([key, response]) => [key, JSON.stringify(response ?? null)]);
    const answer = await this.store.call((redis) =>
      redis.inputAnswer(keys.task(taskId), this.identity, keys.answerChannel, taskId, new Date().toISOString(), ...pairs),
    );
    if (answer === 'missing') throw taskNotFound(taskId);
    return answer === 'ok';
  }

  onAnswer(taskId: string, deliver: (key: string, response: unknown) => void): () => void {
    const listeners = this.store.answerListeners;
    listeners.set(taskId, deliver);
    return () => {
      if (listeners.get(taskId) === deliver) listeners.delete(taskId);
    };
  }
}
