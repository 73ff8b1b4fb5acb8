import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { Answer, CallContext, Question, ResumeHandle, Resumers, RunOutcome } from '../kernel/run-outcome.js';
import { withNote } from '../kernel/results.js';

/**
 * How every front asks a person, whatever the era: put the question, check the answer, ask again
 * once when it does not fit (the question repeated, with why), and take a second misfit as a cancel.
 * The rule is `judge`; the fronts that wait for the answer within the call (2025 elicitation, a
 * task's input request in either era) run it in `askUntilFit`, and the 2026-07-28 `input_required`
 * rounds, each its own request, carry the count in their sealed state and apply the same `judge`.
 */

/**
 * What the person said to one putting of a question, unchecked: it comes from the client. `misfit`:
 * a reply that cannot be read as an answer at all (the SDK refused it against the form, or it is
 * no elicitation result).
 */
export type Reply =
  | { action: 'accept'; content: unknown }
  | { action: 'decline' }
  | { action: 'cancel' }
  | { action: 'unanswerable' }
  | { action: 'misfit'; why: string };

/** A reply to a question that was put: anything but `unanswerable`. */
export type Heard = Exclude<Reply, { action: 'unanswerable' }>;

/** Puts a question to the person once, with `message`: the question's own, or the question again saying why the last answer did not fit. */
export type Asker = (question: Question, handle: ResumeHandle, message: string) => Promise<Reply>;

/** A kind's own check of an answer that fits the form (a workflow step's resumeSchema): why it does not fit, or undefined. */
export type AnswerCheck = (content: Record<string, unknown>) => string | undefined;

/** How many times a question is put: one retry, then a misfit is a cancel. */
const MAX_ASKS = 2;

// Forms are small and flat; one Ajv for the process, with the formats a form field may name (email, uri, date…).
const ajv = new Ajv({ strict: false, validateFormats: true, validateSchema: false, allErrors: true });
addFormats.default(ajv);

/** The answer as the form names it, checked; or why it does not fit. */
function fitted(question: Question, given: unknown, check?: AnswerCheck): { content: Record<string, unknown> } | { why: string } {
  // An accept may carry no content at all: a form whose fields are all optional is answered so.
  const content = given ?? {};
  if (!content || typeof content !== 'object' || Array.isArray(content)) return { why: 'the answer is not an object' };
  // A client may add keys of its own: only what the form names is the answer, so an extra key is no misfit.
  const named = Object.fromEntries(Object.entries(content).filter(([key]) => Object.hasOwn(question.schema.properties, key)));
  const valid = ajv.compile(question.schema);
  if (!valid(named)) return { why: valid.errors ? ajv.errorsText(valid.errors) : 'the answer does not match the form' };
  const why = check?.(named);
  return why === undefined ? { content: named } : { why };
}

/** The question put again: all it said, then why the last answer did not fit. */
const askingAgain = (question: Question, why: string) => `${question.message}\n\nThe last answer did not fit the form (${why}); please answer again.`;

/** The note on a result whose question got a second answer that did not fit. */
const misfitNote = (why: string) => `The answer did not fit the form twice (${why}), so it was taken as a cancel.`;

/**
 * What follows a reply to the `asks`-th putting of a question: the answer to resume the run with, or
 * the question again (its message). A second misfit is a cancel, with a note for the result saying why:
 * refused clearly, and not left waiting upstream.
 */
export type Verdict = Settled | { askAgain: string };

/** The answer a paused run resumes with, and the note its result then carries, if any. */
export type Settled = { answer: Answer; note?: string };

/** The one rule for a reply, whichever front asked. */
export function judge(question: Question, asks: number, reply: Heard, check?: AnswerCheck): Verdict {
  if (reply.action === 'decline' || reply.action === 'cancel') return { answer: { action: reply.action } };
  const fit = reply.action === 'misfit' ? { why: reply.why } : fitted(question, reply.content, check);
  if ('content' in fit) return { answer: { action: 'accept', content: fit.content } };
  return asks < MAX_ASKS ? { askAgain: askingAgain(question, fit.why) } : { answer: { action: 'cancel' }, note: misfitNote(fit.why) };
}

/** An elicitation result as a reply: the fronts' clients answer in this shape, whichever era. */
export const replyOf = (result: { action: 'accept' | 'decline' | 'cancel'; content?: unknown }): Heard =>
  result.action === 'accept' ? { action: 'accept', content: result.content } : { action: result.action };

/** The ask-again loop of the fronts that wait for the answer within the call; `unanswerable` when this client cannot be asked. */
async function askUntilFit(question: Question, handle: ResumeHandle, ask: Asker, check?: AnswerCheck): Promise<Settled | { unanswerable: true }> {
  let message = question.message;
  for (let asks = 1; ; asks += 1) {
    const reply = await ask(question, handle, message);
    if (reply.action === 'unanswerable') return { unanswerable: true };
    const verdict = judge(question, asks, reply, check);
    if ('answer' in verdict) return verdict;
    message = verdict.askAgain;
  }
}

export const APPROVED: Answer = { action: 'accept', content: { approved: true } };

/** With `--auto-approve-tools` the operator approves every agent tool call in advance; other questions still go to the person. */
export function autoApproving(ask: Asker): Asker {
  return async (question, handle, message) => (handle.kind === 'approval' ? APPROVED : ask(question, handle, message));
}

/** Runs a paused run to its end, asking the person each time it pauses. */
export async function askUntilDone(first: RunOutcome, ask: Asker, resumers: Resumers, call: CallContext): Promise<CallToolResult> {
  let outcome = first;
  let note: string | undefined;
  while (!('done' in outcome)) {
    const { question, handle, unanswerable } = outcome.paused;
    const resumer = resumers[handle.kind];
    if (!resumer) return unanswerable;
    const check = resumer.answerProblem && ((content: Record<string, unknown>) => resumer.answerProblem!(handle, content));
    const asked = await askUntilFit(question, handle, ask, check);
    call.signal?.throwIfAborted();
    if ('unanswerable' in asked) {
      if (!resumer.unanswered) return unanswerable;
      outcome = await resumer.unanswered(handle, call);
    } else {
      note = asked.note ?? note;
      outcome = await resumer.resume(handle, asked.answer, call);
    }
  }
  return withNote(note, outcome.done);
}
