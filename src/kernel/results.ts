import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * The one way a tool result is built: text blocks a person (or a model) reads first, and the
 * structured value a client with the output schema reads. A kind shapes its own text and value.
 */
export const textResult = (text: string | readonly string[], structuredContent?: Record<string, unknown>): CallToolResult => ({
  content: (typeof text === 'string' ? [text] : text).map((block) => ({ type: 'text', text: block })),
  ...(structuredContent ? { structuredContent } : {}),
});

/** A failed call: a result with `isError`, whose text names what failed and what to do (never a raw body). */
export const errorResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** A result with a note before its own text, e.g. why an answer was taken as a cancel; without a note, the result as it is. */
export const withNote = (note: string | undefined, result: CallToolResult): CallToolResult =>
  note === undefined ? result : { ...result, content: [{ type: 'text', text: note }, ...result.content] };
