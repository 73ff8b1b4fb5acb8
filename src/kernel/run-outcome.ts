import type { MastraClient } from '@mastra/client-js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { CallTrace } from './call-trace.js';
import type { ProgressReporter } from './progress.js';

/**
 * A run that must ask a person pauses upstream (a suspended workflow step; an agent tool waiting
 * for approval). Each kind says what to ask and how to continue; the drivers (calls/person-loop.ts and the two
 * fronts) ask through whatever the client offers and hand the answer back.
 */

export interface Question {
  /** What the person reads: no instructions, no tokens. */
  message: string;
  /** The answer form: a flat object of primitive properties (elicitation's requestedSchema). */
  schema: { type: 'object'; properties: Record<string, Record<string, unknown>>; required?: string[] };
}

export type Answer = { action: 'accept'; content: Record<string, unknown> } | { action: 'decline' } | { action: 'cancel' };

/** How to continue a paused run: JSON only, no secrets (it travels signed in 2026 request state). */
export interface ResumeHandle {
  kind: 'workflow' | 'approval';
  [key: string]: unknown;
}

export type RunOutcome =
  | { done: CallToolResult }
  | { paused: { question: Question; handle: ResumeHandle /** The result when nobody can be asked. */; unanswerable: CallToolResult } };

/** What a run needs each time it starts or resumes: the caller's own client, the call's signal and progress. */
export interface CallContext {
  /** The caller's Mastra client: a run is continued by the identity that started it. */
  client: MastraClient;
  /** The Mastra URL, named in error messages. */
  baseUrl: string;
  /** Stops the run upstream. */
  signal?: AbortSignal;
  /** When the caller wants progress, the run streams it. */
  progress?: ProgressReporter;
  /** Longest the run may take upstream up to its next pause; 0 means no limit (a task's run is bounded by its TTL instead). */
  callTimeoutMs: number;
  /** The call's trace: each run it starts or resumes upstream joins it (`tracingOptions`). */
  trace?: CallTrace;
}

export interface Resumer {
  /** Continues the run with the person's answer (decline/cancel included); may pause again. */
  resume(handle: ResumeHandle, answer: Answer, call: CallContext): Promise<RunOutcome>;
  /**
   * Optional: why an answer that fits the form still does not fit this paused run (a workflow
   * step's resumeSchema), or undefined. Such an answer is asked again like any misfit.
   */
  answerProblem?(handle: ResumeHandle, content: Record<string, unknown>): string | undefined;
  /**
   * Optional: what happens upstream when nobody can be asked. Without it the paused run's
   * `unanswerable` result is the answer and the run stays as it is (a suspended workflow waits in
   * Mastra); an agent tool approval is declined instead, since no tool may run unapproved.
   */
  unanswered?(handle: ResumeHandle, call: CallContext): Promise<RunOutcome>;
}

/** The resumers by kind: the drivers are generic, each kind plugs in its own. */
export type Resumers = Partial<Record<ResumeHandle['kind'], Resumer>>;
