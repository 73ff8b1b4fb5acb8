import { z } from 'zod';
import { DURATION_FORMS, formatDuration, parseDuration } from './duration.js';

/** `60/1m`: at most `points` calls per `durationS` seconds, in the one duration syntax. */
export interface Rate {
  points: number;
  durationS: number;
  /** As written back: `60/1m`. */
  text: string;
}

const RATE_FORM = `N/TIME: a whole number of calls per a duration of whole seconds (at least 1s; ${DURATION_FORMS}), e.g. 60/1m`;

/** A rate setting's schema (config.ts); whole seconds, as Redis keeps the window. */
export const rate = z.string().transform((text, ctx): Rate => {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  const points = match ? Number(match[1]) : Number.NaN;
  const ms = match ? parseDuration(match[2]!) : undefined;
  if (!Number.isSafeInteger(points) || points < 1 || ms === undefined || ms < 1_000 || ms % 1_000 !== 0 || ms > 86_400_000) {
    ctx.addIssue({ code: 'custom', message: `must be ${RATE_FORM}` });
    return z.NEVER;
  }
  return { points, durationS: ms / 1_000, text: `${points}/${formatDuration(ms)}` };
});
