import type { ElicitRequest, ElicitResult } from '@modelcontextprotocol/sdk/types.js';

/** How the person behind a client answers a question (2025 elicitation, 2026 input_required). */
export type Elicit = (request: ElicitRequest['params']) => ElicitResult | Promise<ElicitResult>;

export const approve: Elicit = () => ({ action: 'accept', content: { approved: true } });
export const refuse: Elicit = () => ({ action: 'accept', content: { approved: false, reason: 'not today' } });
export const decline: Elicit = () => ({ action: 'decline' });
export const dismiss: Elicit = () => ({ action: 'cancel' });
/** A person who gives these answers in turn, then cancels: a bridge that asks once too often gets a cancel, not a loop. */
export const inTurn =
  (...answers: ElicitResult[]): Elicit =>
  () =>
    answers.shift() ?? { action: 'cancel' };
