import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { Answer, CallContext, Question, ResumeHandle, Resumers, RunOutcome } from './pause.js';

/**
 * The loop every front shares when it can ask within the call (2025 elicitation, a task's input
 * request): ask → resume → maybe ask again, until the run is done. What "ask" means is the
 * front's; what "resume" means is the handle kind's.
 */

/** The person's answer, `unanswerable` when this client cannot be asked, or `invalid` after a second answer that did not fit the form. */
export type Asked = Answer | { action: 'unanswerable' } | { action: 'invalid'; why: string };
export type Asker = (question: Question, handle: ResumeHandle) => Promise<Asked>;

const validator = new AjvJsonSchemaValidator();

/** Why an accepted answer does not fit its form, or undefined when it does. The answer came from the client: untrusted. */
export function answerProblem(schema: Question['schema'], content: unknown): string | undefined {
  if (!content || typeof content !== 'object' || Array.isArray(content)) return 'the answer is not an object';
  const result = validator.getValidator(schema as never)(content);
  return result.valid ? undefined : (result.errorMessage ?? 'the answer does not match the form');
}

export const APPROVED: Answer = { action: 'accept', content: { approved: true } };

/** With `--auto-approve-tools` the operator approves every agent tool call in advance; other questions still go to the person. */
export function autoApproving(ask: Asker): Asker {
  return async (question, handle) => (handle.kind === 'approval' ? APPROVED : ask(question, handle));
}

const withNote = (text: string, result: CallToolResult): CallToolResult => ({ ...result, content: [{ type: 'text', text }, ...result.content] });

/** Runs a paused run to its end, asking the person each time it pauses. */
export async function settle(first: RunOutcome, ask: Asker, resumers: Resumers, call: CallContext): Promise<CallToolResult> {
  let outcome = first;
  let note: string | undefined;
  while (!('done' in outcome)) {
    const { question, handle, unanswerable } = outcome.paused;
    const resumer = resumers[handle.kind];
    if (!resumer) return unanswerable;
    const asked = await ask(question, handle);
    call.signal?.throwIfAborted();
    if (asked.action === 'unanswerable') {
      if (!resumer.unanswered) return unanswerable;
      outcome = await resumer.unanswered(handle, call);
    } else if (asked.action === 'invalid') {
      // Refused clearly, and not left waiting upstream: an answer nobody could give is a cancel.
      note = `The answer did not fit the form twice (${asked.why}), so it was taken as a cancel.`;
      outcome = await resumer.resume(handle, { action: 'cancel' }, call);
    } else {
      outcome = await resumer.resume(handle, asked, call);
    }
  }
  return note ? withNote(note, outcome.done) : outcome.done;
}
