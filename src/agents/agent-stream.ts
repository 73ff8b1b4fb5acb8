import { createParser } from 'eventsource-parser';
import { agentOf, pathSegment } from '../kernel/mastra-ids.js';
import { memoryOfThread, toErrorResult, toToolResult, type AgentCallContext } from './agent-call.js';
import { decisionBody, decisionRoute, type AgentRequest, type AgentResponse, type AgentRun, type PendingApproval } from './agent-api.js';
import { capDetail, streamEndedEarly } from '../kernel/errors.js';
import type { AgentTool } from '../catalogue/catalogue.js';
import type { ProgressReporter } from '../kernel/progress.js';
import { errorResult } from '../kernel/results.js';
import { NODE_BODY, streamedBodyOf } from '../kernel/mastra-fetch.js';

/** The fields of client-js stream chunks (`{type, runId, from, payload}`) that the bridge reads. */
interface Chunk {
  type: string;
  runId?: string;
  payload?: {
    toolCallId?: string;
    toolName?: string;
    args?: unknown;
    result?: unknown;
    isError?: boolean;
    text?: string;
    error?: unknown;
    stepResult?: { reason?: string };
    reason?: string;
    output?: { text?: unknown; usage?: AgentRun['usage'] };
  };
}

/** Only a message, and a bounded one: an error payload may carry a provider's whole response. */
const errorText = (error: unknown): string =>
  capDetail(
    typeof error === 'string'
      ? error
      : typeof (error as { message?: unknown })?.message === 'string'
        ? (error as { message: string }).message
        : 'no message given',
  );

/** Builds the same run a `generate` call returns, from the chunks of a stream, and says what is happening. */
class RunRecorder {
  readonly run: AgentRun & { toolCalls: unknown[]; toolResults: unknown[] } = { text: '', toolCalls: [], toolResults: [] };
  error: string | undefined;
  /** The tool call the run stopped to wait for, when it did: Mastra then ends the stream without a finish. */
  approval: PendingApproval | undefined;
  /** Whether Mastra said the run ended; a stream that stops without it was cut off. */
  finished = false;
  private finalText: string | undefined;
  private steps = 0;
  private reasoning = 0;
  private writing = false;

  constructor(
    private readonly agentId: string,
    private readonly progress: ProgressReporter,
  ) {}

  take(chunk: Chunk): void {
    const p = chunk.payload ?? {};
    switch (chunk.type) {
      case 'start':
        return this.progress.now(`agent "${this.agentId}" started`);
      case 'step-start':
        this.steps += 1;
        this.writing = false;
        return this.progress.now(`step ${this.steps} started`);
      case 'tool-call-input-streaming-start':
        return this.progress.soon(`preparing a call to tool ${p.toolName ?? 'unknown'}`);
      case 'tool-call':
        this.run.toolCalls.push({ toolName: p.toolName, args: p.args });
        return this.progress.now(`calling tool ${p.toolName ?? 'unknown'}`);
      case 'tool-result':
        this.run.toolResults.push({ toolName: p.toolName, result: p.result, isError: p.isError });
        return this.progress.now(`tool ${p.toolName ?? 'unknown'} ${p.isError ? 'failed' : 'returned'}`);
      case 'tool-call-approval':
        if (typeof chunk.runId === 'string' && typeof p.toolCallId === 'string')
          this.approval ??= { runId: chunk.runId, toolCallId: p.toolCallId, toolName: p.toolName ?? 'unknown', args: p.args ?? null };
        return this.progress.now(`tool ${p.toolName ?? 'unknown'} waits for a person's approval`);
      case 'tool-output-denied':
        return this.progress.now(`tool ${p.toolName ?? 'unknown'} was not approved`);
      case 'reasoning-delta':
        this.reasoning += p.text?.length ?? 0;
        return this.progress.soon(`reasoning: ${this.reasoning} characters`);
      case 'text-delta': {
        this.run.text += p.text ?? '';
        // The first words of a step are news; the rest is a count that may lag a little.
        const report = this.writing ? this.progress.soon : this.progress.now;
        this.writing = true;
        return report(`writing the answer: ${this.run.text.length} characters`);
      }
      case 'error':
        this.error ??= errorText(p.error);
        return;
      case 'tripwire':
        this.run.tripwire = { reason: p.reason };
        this.finished = true;
        return;
      case 'finish':
        this.finished = true;
        this.run.finishReason = p.stepResult?.reason;
        this.run.usage = p.output?.usage;
        if (typeof p.output?.text === 'string') this.finalText = p.output.text;
        return;
    }
  }

  /** Mastra's own final text when it sent one (as `generate` returns), else what was streamed. */
  result(): AgentRun {
    return { ...this.run, text: this.finalText ?? this.run.text };
  }
}

/** How Mastra starts a step-finish chunk, which the bridge does not read. */
const UNREAD_STEP_FINISH = '{"type":"step-finish"';

/**
 * The chunks of Mastra's stream, as they arrive. Parsing is linear in the stream's length: client-js's
 * own `stream()` re-clones the whole message on every chunk (quadratic) and prints failures with
 * `console.error`, so the bridge reads the SSE body itself. A chunk that is not JSON is skipped.
 * The body is decoded and parsed in place rather than piped through a TextDecoderStream and an
 * EventSourceParserStream: each call in flight would hold those two streams, their controllers and
 * the promises between them, for the whole run (the same decoding and parsing, without the streams).
 */
async function* chunksOf(body: AsyncIterable<Uint8Array>): AsyncGenerator<Chunk> {
  const decoder = new TextDecoder();
  const events: string[] = [];
  // Without a maxBufferSize the parser's errors are all recoverable (a bad line), and are skipped as the stream's were.
  const parser = createParser({ onEvent: ({ data }) => events.push(data) });
  for await (const bytes of body) {
    parser.feed(decoder.decode(bytes, { stream: true }));
    for (const data of events.splice(0)) {
      if (data === '[DONE]') return;
      // A step's summary repeats the whole answer several times and is not read: not worth a parse.
      if (data.startsWith(UNREAD_STEP_FINISH)) continue;
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        continue;
      }
      if (chunk && typeof chunk === 'object') yield chunk as Chunk;
    }
  }
}

/**
 * One request of an agent run through Mastra's `stream` route (or its approve/decline twin), reporting
 * progress as chunks arrive. Never retried. Aborting `context.signal` aborts the upstream request,
 * and the returned promise rejects.
 */
export async function streamAgent(
  agent: AgentTool,
  request: AgentRequest,
  memory: { thread: string; resource: string } | undefined,
  context: AgentCallContext,
  progress: ProgressReporter,
): Promise<AgentResponse> {
  const recorder = new RunRecorder(agent.agentId, progress);
  const [path, body] =
    'message' in request
      ? [
          `/agents/${pathSegment(agent.agentId)}/stream`,
          {
            messages: request.message,
            ...(memory ? { memory } : {}),
            ...(request.requestContext ? { requestContext: request.requestContext } : {}),
            ...(context.trace ? { tracingOptions: context.trace.runOptions() } : {}),
          },
        ]
      : [decisionRoute(agent.agentId, request.decision, true), decisionBody(request)];
  let response: Response;
  try {
    // The same request client-js's `agent.stream()` sends (its headers, retries off, HTTP errors as MastraClientError),
    // its body read over node:http for the length of the run (kernel/mastra-fetch.ts).
    const options = { method: 'POST', body, stream: true, signal: context.signal, [NODE_BODY]: true };
    response = await agentOf(context.client, agent.agentId).request<Response>(path, options);
  } catch (error) {
    context.signal?.throwIfAborted();
    return { result: toErrorResult(error, agent.agentId, context) };
  }
  const stream = streamedBodyOf(response);
  try {
    if (stream) for await (const chunk of chunksOf(stream)) recorder.take(chunk);
  } catch {
    // A connection that breaks mid-stream is a cut-off run, told below; a cancelled one rejects.
    context.signal?.throwIfAborted();
  }
  context.signal?.throwIfAborted();
  if (recorder.error === undefined && !recorder.finished && recorder.approval) return { approval: recorder.approval };
  // Mastra reports a model failure mid-stream as a chunk, and a broken stream may end without
  // its finish chunk: neither may pass for an answer.
  if (recorder.error !== undefined || !recorder.finished) {
    const kind = recorder.error !== undefined ? 'upstream_error' : 'stream_ended';
    const text =
      recorder.error !== undefined
        ? `The agent "${agent.agentId}" failed on the Mastra server at ${context.baseUrl} while answering: ${recorder.error}. The agent or its model failed; check the Mastra server's logs, then try again.`
        : streamEndedEarly(context.baseUrl, `the agent "${agent.agentId}"`, ` (${recorder.run.text.length} characters written)`);
    return { result: errorResult(text, kind) };
  }
  return { result: toToolResult(agent.agentId, recorder.result(), memory && (await memoryOfThread(context.client, agent, memory))) };
}
