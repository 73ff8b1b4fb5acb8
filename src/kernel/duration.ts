import { z } from 'zod';

/**
 * The one duration syntax of every time setting: a number with a unit, `500ms`, `30s`, `2m`, `1h`
 * (decimals allowed: `1.5s`). A bare number is refused, except `0`: before this syntax some settings
 * read `60` as milliseconds and others as seconds, so a bare number can no longer be trusted to mean
 * what its writer meant.
 */
const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNITS;

export const DURATION_FORMS = '500ms, 30s, 2m or 1h';

/** "30s" -> 30000, "0" -> 0; undefined for anything else, a bare number included. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^0+(\.0+)?$/.test(trimmed)) return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(trimmed);
  if (!match) return undefined;
  return Math.round(Number.parseFloat(match[1]!) * UNITS[match[2] as Unit]);
}

/** Milliseconds in the same syntax, in the largest unit that keeps it whole: 600000 -> "10m", 90000 -> "90s", 1500 -> "1500ms". */
export function formatDuration(ms: number): string {
  const unit = (['h', 'm', 's'] as const).find((u) => ms > 0 && ms % UNITS[u] === 0) ?? 'ms';
  return `${ms / UNITS[unit]}${unit}`;
}

const MIN_DURATION_MS = 100;
/** A day: no timer of the bridge has a reason to wait longer, and setTimeout fires at once beyond 24.8 days. */
const MAX_DURATION_MS = 86_400_000;

/** A time setting's schema (config.ts): 100ms to 24h, and 0 only where `zeroMeans` says what it does. */
export const duration = (zeroMeans?: string) => {
  const valid = `${zeroMeans ? `0 (${zeroMeans}) or ` : ''}a duration of at least 100ms, such as ${DURATION_FORMS}`;
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    const bare = /^\s*\d+(\.\d+)?\s*$/.exec(text)?.[0].trim();
    const problem =
      ms === undefined
        ? bare
          ? `has no unit, and a bare number is ambiguous: write ${bare}s or ${bare}ms (durations are written ${DURATION_FORMS})`
          : `must be ${valid}`
        : ms === 0
          ? zeroMeans === undefined && `must be ${valid}`
          : ms < MIN_DURATION_MS
            ? `must be ${valid}`
            : ms > MAX_DURATION_MS && 'must be at most 24h';
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return ms ?? 0;
  });
};
