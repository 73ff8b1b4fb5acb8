import type { MastraClient } from '@mastra/client-js';
import { randomUUID } from 'node:crypto';
import { pathSegment } from '../kernel/mastra-ids.js';
import type { TracingOptions } from '../kernel/call-trace.js';
import { NODE_BODY, streamedBodyOf } from '../kernel/mastra-fetch.js';

/**
 * The few workflow routes the bridge uses, every id encoded (see kernel/mastra-ids.ts): client-js puts
 * workflow and run ids into its paths and query strings as they are. Requests go through client-js
 * (its headers, retries off, HTTP errors as MastraClientError); none is ever retried.
 */
export const workflowOf = (client: MastraClient, workflowId: string) => client.getWorkflow(pathSegment(workflowId));

/** One record of Mastra's workflow stream: `{type, runId, from, payload}`. */
export interface WorkflowChunk {
  type: string;
  payload?: Record<string, unknown>;
}

const RECORD_SEPARATOR = '\x1e';

/** The records of a workflow stream as they arrive; a record that is not JSON is skipped (client-js's own reader would throw). */
export async function* recordsOf(body: AsyncIterable<Uint8Array>): AsyncGenerator<WorkflowChunk> {
  const decoder = new TextDecoder();
  let buffer = '';
  const parse = (record: string): WorkflowChunk | undefined => {
    try {
      const chunk = JSON.parse(record) as unknown;
      return chunk && typeof chunk === 'object' && typeof (chunk as WorkflowChunk).type === 'string' ? (chunk as WorkflowChunk) : undefined;
    } catch {
      return undefined;
    }
  };
  for await (const bytes of body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf(RECORD_SEPARATOR);
    let start = 0;
    for (; end !== -1; end = buffer.indexOf(RECORD_SEPARATOR, start)) {
      const chunk = parse(buffer.slice(start, end));
      if (chunk) yield chunk;
      start = end + 1;
    }
    buffer = buffer.slice(start);
  }
  const last = buffer.trim() ? parse(buffer) : undefined;
  if (last) yield last;
}

/** A run id the bridge chooses: a UUID, so it is the same in every path and query, and known before the run exists. */
export const newRunId = (): string => randomUUID();

export async function createRun(client: MastraClient, workflowId: string, runId: string): Promise<void> {
  await workflowOf(client, workflowId).createRun({ runId });
}

async function streamOf(client: MastraClient, workflowId: string, route: string, runId: string, body: unknown, signal?: AbortSignal) {
  // Read over node:http for the length of the run, as an agent's stream is (kernel/mastra-fetch.ts).
  const options = { method: 'POST', body, stream: true, signal, [NODE_BODY]: true };
  const response = await workflowOf(client, workflowId).request<Response>(
    `/workflows/${pathSegment(workflowId)}/${route}?runId=${encodeURIComponent(runId)}`,
    options,
  );
  return streamedBodyOf(response);
}

/** Starts the run (inside the caller's trace, given `tracingOptions`); the stream closes when the run finishes or suspends. */
export const startStream = (
  client: MastraClient,
  workflowId: string,
  runId: string,
  inputData: unknown,
  signal?: AbortSignal,
  tracingOptions?: TracingOptions,
) => streamOf(client, workflowId, 'stream', runId, { inputData, closeOnSuspend: true, ...(tracingOptions ? { tracingOptions } : {}) }, signal);

/** Resumes a suspended step with the answer; the stream closes when the run finishes or suspends again. */
export const resumeStream = (
  client: MastraClient,
  workflowId: string,
  runId: string,
  step: string | undefined,
  resumeData: unknown,
  signal?: AbortSignal,
  tracingOptions?: TracingOptions,
) => streamOf(client, workflowId, 'resume-stream', runId, { ...(step ? { step } : {}), resumeData, ...(tracingOptions ? { tracingOptions } : {}) }, signal);

/** Cancels the run on the Mastra server: its running steps see their abort signal, and no further step starts. */
export async function cancelRun(client: MastraClient, workflowId: string, runId: string): Promise<void> {
  await workflowOf(client, workflowId).request(`/workflows/${pathSegment(workflowId)}/runs/${pathSegment(runId)}/cancel`, { method: 'POST' });
}

/** What the bridge reads of a stored run: its status and the steps that are suspended. */
export interface StoredRun {
  status?: string;
  steps?: Record<string, { status?: string; suspendPayload?: unknown }>;
}

export async function runOf(client: MastraClient, workflowId: string, runId: string): Promise<StoredRun> {
  return (await workflowOf(client, workflowId).runById(pathSegment(runId), { fields: ['steps'] })) as StoredRun;
}
