import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * The one way a tool result is built: text blocks a person (or a model) reads first, and the
 * structured value a client with the output schema reads. A kind shapes its own text and value.
 */
export const textResult = (text: string | readonly string[], structuredContent?: Record<string, unknown>): CallToolResult => ({
  content: (typeof text === 'string' ? [text] : text).map((block) => ({ type: 'text', text: block })),
  ...(structuredContent ? { structuredContent } : {}),
});

/** Why a call failed, one word from a fixed set: a metric label and a log field, never shown to the client. */
export type FailureKind =
  | 'unreachable'
  | 'timeout'
  | 'upstream_error'
  | 'refused'
  | 'gone'
  | 'invalid_arguments'
  | 'stream_ended'
  | 'cancelled_upstream'
  | 'tool_error';

/**
 * Where a failed result keeps its kind: under a symbol, which JSON (the wire, the task stores) leaves out and a
 * spread (`{ ...result }`, as capping and notes do) keeps, so whoever observes the call reads what its builder knew.
 */
const FAILURE_KIND = Symbol('failure kind');

/** A failed call: a result with `isError`, whose text names what failed and what to do (never a raw body), and why, as a kind. */
export const errorResult = (text: string, kind: FailureKind): CallToolResult =>
  ({ content: [{ type: 'text', text }], isError: true, [FAILURE_KIND]: kind }) as CallToolResult;

/** A failure as a text and its kind: what describeFailure (kernel/errors.ts) says of an error. */
export interface Failure {
  text: string;
  kind: FailureKind;
}

export const failureResult = ({ text, kind }: Failure): CallToolResult => errorResult(text, kind);

/** The kind an isError result was built with; `tool_error` for one built elsewhere (or read back from JSON). */
export const failureKindOf = (result: CallToolResult): FailureKind => (result as { [FAILURE_KIND]?: FailureKind })[FAILURE_KIND] ?? 'tool_error';

/** A result with a note before its own text, e.g. why an answer was taken as a cancel; without a note, the result as it is. */
export const withNote = (note: string | undefined, result: CallToolResult): CallToolResult =>
  note === undefined ? result : { ...result, content: [{ type: 'text', text: note }, ...result.content] };

/** Cuts before `end` without splitting a character made of two UTF-16 units. */
const cutAt = (text: string, end: number) => text.slice(0, end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1] ?? '') ? end - 1 : end);

/**
 * A result whose text is at most `maxChars` characters (`--max-result-chars`): its longest text block is cut, and
 * ends with a line saying how much was cut and where the rest is. structuredContent is left whole: it carries the
 * value once, and a client that reads it (or the task's result) gets all of it.
 */
export function capResult(result: CallToolResult, maxChars: number): CallToolResult {
  const blocks = result.content;
  const total = blocks.reduce((sum, block) => sum + (block.type === 'text' ? block.text.length : 0), 0);
  if (total <= maxChars) return result;
  let longest = -1;
  blocks.forEach((block, i) => {
    const current = blocks[longest];
    if (block.type === 'text' && (current?.type !== 'text' || block.text.length > current.text.length)) longest = i;
  });
  const block = blocks[longest] as { type: 'text'; text: string };
  const rest = result.structuredContent
    ? "The whole value is in this result's structuredContent."
    : 'Ask for a shorter answer or for the part you need, or raise --max-result-chars (MCP_MAX_RESULT_CHARS).';
  const note = (cut: number) =>
    `\n\n[Cut by the bridge: ${cut.toLocaleString('en-US')} of these ${block.text.length.toLocaleString('en-US')} characters are not shown (the limit is ${maxChars.toLocaleString('en-US')}, --max-result-chars). ${rest}]`;
  // The note's own length counts; a cut of a longer number cannot be more than a few characters longer.
  const keep = Math.max(0, block.text.length - (total - maxChars) - note(total).length);
  const kept = cutAt(block.text, keep);
  const content = blocks.map((b, i) => (i === longest ? { type: 'text' as const, text: `${kept}${note(block.text.length - kept.length)}` } : b));
  return { ...result, content };
}
