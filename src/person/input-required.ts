import { CLIENT_CAPABILITIES_META_KEY, inputRequired, inputResponse, ProtocolError, ProtocolErrorCode, type InputRequiredResult } from '@modelcontextprotocol/server';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { RunContext, ToolCall } from '../calls/tool-call.js';
import { answerProblem } from './drive.js';
import type { Answer, RunOutcome } from './pause.js';
import type { PausedCall, RequestStateSealer } from './request-state.js';

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

const withNote = (text: string, result: CallToolResult): CallToolResult => ({ ...result, content: [{ type: 'text', text }, ...result.content] });

async function ask(paused: PausedCall, context: InputRequiredContext, why?: string): Promise<InputRequiredResult> {
  const message = why ? `${paused.question.message}\n\nThe last answer did not fit the form (${why}); please answer again.` : paused.question.message;
  return inputRequired({
    inputRequests: { [ANSWER_KEY]: inputRequired.elicit({ mode: 'form', message, requestedSchema: paused.question.schema as never }) },
    requestState: await context.sealer.seal(paused, context.identity),
  });
}

/** The retry's answer, or why it cannot be one. The answer came from the client: untrusted. */
function answerOf(paused: PausedCall, responses: Record<string, unknown> | undefined): Answer | { missing: true } | { why: string } {
  const view = inputResponse(responses as never, ANSWER_KEY);
  if (view.kind !== 'elicit') return { missing: true };
  if (view.action !== 'accept') return { action: view.action };
  const why = answerProblem(paused.question.schema, view.content ?? {});
  return why === undefined ? { action: 'accept', content: view.content ?? {} } : { why };
}

/** One tools/call round: start or resume the run, and ask again (input_required) while it is paused. */
export async function callInRounds(call: ToolCall, name: string, context: InputRequiredContext): Promise<CallToolResult | InputRequiredResult> {
  const { state } = context;
  let outcome: RunOutcome;
  let note: string | undefined;
  if (!state) outcome = await call.start(context);
  else {
    if (state.tool !== name) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `This requestState belongs to tool "${state.tool}", not "${name}".`);
    const answer = answerOf(state, context.inputResponses);
    if ('missing' in answer) return ask(state, context);
    if ('why' in answer) {
      if (state.asked < 2) return ask({ ...state, asked: state.asked + 1 }, context, answer.why);
      note = `The answer did not fit the form twice (${answer.why}), so it was taken as a cancel.`;
      outcome = await call.resume(state.handle, { action: 'cancel' }, context);
    } else outcome = await call.resume(state.handle, answer, context);
  }
  if ('paused' in outcome && canElicit(context.envelope)) {
    const { question, handle } = outcome.paused;
    return ask({ tool: name, handle, question, asked: 1 }, context);
  }
  const result = await call.settle(outcome, context);
  return note ? withNote(note, result) : result;
}
