import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorResult } from '../../kernel/results.js';

/** What a task says when the replica running it can no longer answer: its status message and its result (JSON). */
const failure = (statusMessage: string, text: string) => ({
  statusMessage,
  result: JSON.stringify(errorResult(text, 'tool_error') satisfies CallToolResult),
});

/** Its runner's lease lapsed: it died, or is cut off from Redis, and may yet come back (lease-scripts.ts). */
export const LAPSED = failure(
  'the bridge running this task was not heard from within its lease (--task-lease); if it still runs the task, the task turns working again',
  'The bridge running this task was not heard from within its lease (--task-lease): it was restarted or killed, or cut off from the task store. ' +
    "If it is still running the agent, it takes the task back: the task turns `working` again and ends with the agent's answer, so look at the task again (tasks/get) a little later. " +
    'Otherwise the agent run may not have finished on the Mastra server; call the agent again.',
);

/** Its runner shut down, stopping the run: final. */
export const LEFT = failure(
  'the bridge running this task shut down before the agent answered',
  'The bridge running this task shut down before the agent answered, and stopped the agent run on the Mastra server; call the agent again.',
);
