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

/** Units people write that the syntax does not take, in milliseconds: a suggestion can then be made in one it does. */
const OTHER_UNITS: Record<string, number> = {
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  msec: 1,
  millis: 1,
};

/** The milliseconds a text means in units the syntax does not take (`1d`, `1m30s`, `5min`); undefined when it means nothing known. */
function looseMs(text: string): number | undefined {
  const normalized = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?\s*[a-z]+\s*)+$/.test(normalized)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of normalized.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)/g)) {
    const factor = UNITS[unit as Unit] ?? OTHER_UNITS[unit!];
    if (factor === undefined) return undefined;
    ms += Number.parseFloat(amount!) * factor;
  }
  return Math.round(ms);
}

const inRange = (ms: number) => ms >= MIN_DURATION_MS && ms <= MAX_DURATION_MS;

/** What is wrong with a text that is no duration of the syntax, and how to write what it means when that can be told. */
function unreadable(text: string, valid: string): string {
  const bare = /^\s*\d+(\.\d+)?\s*$/.exec(text)?.[0].trim();
  if (bare) {
    const fits = [`${bare}s`, `${bare}ms`].filter((form) => inRange(parseDuration(form)!));
    if (fits.length === 2) return `has no unit, and a bare number is ambiguous: write ${fits.join(' or ')} (durations are written ${DURATION_FORMS})`;
    const other = [`${bare}s`, `${bare}ms`].find((form) => !fits.includes(form))!;
    const why = parseDuration(other)! < MIN_DURATION_MS ? 'under 100ms' : 'over 24h';
    return fits.length ? `has no unit: write ${fits[0]} (${other} would be ${why})` : `has no unit: write ${valid}`;
  }
  const spaced = parseDuration(text.replace(/\s+/g, ''));
  if (spaced !== undefined && spaced > 0) return `must be a duration without spaces: write ${text.replace(/\s+/g, '')}`;
  const ms = looseMs(text);
  if (ms === undefined) return `must be ${valid}`;
  const compound = (text.match(/[a-z]+/gi) ?? []).length > 1;
  const what = compound ? 'combines units, which durations do not' : `has a unit durations do not take (they take ms, s, m and h)`;
  if (!inRange(ms)) return `${what}; and it would be ${ms < MIN_DURATION_MS ? 'under 100ms' : 'over 24h, the most any time setting takes'}`;
  return `${what}: write ${formatDuration(ms)}`;
}

/** A time setting's schema (config.ts): 100ms to 24h, and 0 only where `zeroMeans` says what it does. */
export const duration = (zeroMeans?: string) => {
  const valid = `${zeroMeans ? `0 (${zeroMeans}) or ` : ''}a duration of at least 100ms, such as ${DURATION_FORMS}`;
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    const problem =
      ms === undefined
        ? unreadable(text, valid)
        : ms === 0
          ? zeroMeans === undefined && `must be ${valid}`
          : ms < MIN_DURATION_MS
            ? `must be ${valid}`
            : ms > MAX_DURATION_MS && 'must be at most 24h';
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return ms ?? 0;
  });
};
