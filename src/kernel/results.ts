import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/**
 * The one way a tool result is built: a text block a person (or a model) reads first, and the
 * structured value a client with the output schema reads. A kind shapes its own text and value.
 */
export const textResult = (text: string, structuredContent?: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text }],
  ...(structuredContent ? { structuredContent } : {}),
});

/** A failed call: a result with `isError`, whose text names what failed and what to do (never a raw body). */
export const errorResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** A result with a note before its own text, e.g. why an answer was taken as a cancel. */
export const withNote = (note: string, result: CallToolResult): CallToolResult => ({ ...result, content: [{ type: 'text', text: note }, ...result.content] });
