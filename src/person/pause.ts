import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ProgressReporter } from '../calls/progress.js';

/**
 * A run that must ask a person pauses upstream (a suspended workflow step; an agent tool waiting
 * for approval). The types agreed between the workflow and the person-in-the-loop work: a run
 * answers a RunOutcome, and a Resumer of its kind continues it with the person's answer.
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
  | { paused: { question: Question; handle: ResumeHandle; /** The result when nobody can be asked. */ unanswerable: CallToolResult } };

/** What a resumed run gets from the call that carries the answer. */
export interface CallContext {
  signal?: AbortSignal;
  progress?: ProgressReporter;
}

export interface Resumer {
  /** Continues the run with the person's answer (decline/cancel included); may pause again. */
  resume(handle: ResumeHandle, answer: Answer, call: CallContext): Promise<RunOutcome>;
}
