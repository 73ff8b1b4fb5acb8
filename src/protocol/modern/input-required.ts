import { CLIENT_CAPABILITIES_META_KEY, inputRequired, inputResponse, ProtocolErrorCode, type InputRequiredResult } from '@modelcontextprotocol/server';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { RunContext, ToolCall } from '../../calls/tool-call.js';
import { judge, replyOf, type Heard } from '../../calls/person-loop.js';
import type { RunOutcome } from '../../kernel/run-outcome.js';
import type { PausedCall, RequestStateSealer } from './request-state.js';
import { withNote } from '../../kernel/results.js';
import { RequestError } from '../../kernel/errors.js';

/**
 * The 2026-07-28 way to ask a person: the tools/call answers `input_required` with an elicitation
 * form and the paused run sealed in `requestState`; the client asks, then retries the same call
 * with `inputResponses` and the state echoed, and the retry resumes the run (on any replica that
 * holds the secret). A paused run the client cannot be asked about is settled at once.
 */

/** The key of the one input request each round carries. */
export const ANSWER_KEY = 'answer';

type Envelope = { [CLIENT_CAPABILITIES_META_KEY]?: { elicitation?: unknown } } | undefined;

/** Whether the request's client declared elicitation (form mode is what an empty capability means). */
export function canElicit(envelope: unknown): boolean {
  const elicitation = (envelope as Envelope)?.[CLIENT_CAPABILITIES_META_KEY]?.elicitation as { form?: unknown; url?: unknown } | undefined;
  if (!elicitation || typeof elicitation !== 'object') return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

export interface InputRequiredContext extends RunContext {
  /** The SDK's verified state (`ctx.mcpReq.requestState()`), when this request is a retry. */
  state: PausedCall | undefined;
  inputResponses: Record<string, unknown> | undefined;
  envelope: unknown;
  identity: string;
  sealer: RequestStateSealer;
}

/** Puts the paused call's question (or `message`, the question asked again) in an input_required result. */
async function ask(paused: PausedCall, context: InputRequiredContext, message = paused.question.message): Promise<InputRequiredResult> {
  return inputRequired({
    inputRequests: { [ANSWER_KEY]: inputRequired.elicit({ mode: 'form', message, requestedSchema: paused.question.schema as never }) },
    requestState: await context.sealer.seal(paused, context.identity),
  });
}

/** The retry's reply, unchecked (calls/person-loop.ts judges it). A retry that answers nothing is a misfit like any other, counted as one. */
function retryReply(responses: Record<string, unknown> | undefined): Heard {
  const view = inputResponse(responses as never, ANSWER_KEY);
  if (view.kind !== 'elicit') return { action: 'misfit', why: `the retry's inputResponses hold no elicitation result under "${ANSWER_KEY}"` };
  return replyOf(view);
}

/**
 * One tools/call round: start or resume the run, and ask again (input_required) while it is paused.
 * Each round is its own request: the count of times the question was put travels in the sealed
 * state, and calls/person-loop.ts's `judge` decides, as it does for every other front.
 */
export async function callInRounds(call: ToolCall, name: string, context: InputRequiredContext): Promise<CallToolResult | InputRequiredResult> {
  const { state } = context;
  let outcome: RunOutcome;
  let note: string | undefined;
  if (!state) outcome = await call.start(context);
  else {
    if (state.tool !== name) throw new RequestError(ProtocolErrorCode.InvalidParams, `This requestState belongs to tool "${state.tool}", not "${name}".`);
    const verdict = judge(state.question, state.asked, retryReply(context.inputResponses), (content) => call.answerProblem(state.handle, content));
    if ('askAgain' in verdict) return ask({ ...state, asked: state.asked + 1 }, context, verdict.askAgain);
    note = verdict.note;
    outcome = await call.resume(state.handle, verdict.answer, context);
  }
  if ('paused' in outcome && canElicit(context.envelope)) {
    const { question, handle } = outcome.paused;
    return ask({ tool: name, handle, question, asked: 1 }, context);
  }
  const result = await call.finish(outcome, context);
  return withNote(note, result);
}
