/**
 * The shortest run of an agent's instructions that is cut from error and progress texts. 24
 * characters: longer than the common phrases a system prompt shares with ordinary error text
 * ("the agent", "please try again", a model name), shorter than the lines worth hiding (a
 * discount code sentence, a 32-character API key, the fixture's 25-character secret).
 */
export const MIN_SECRET_RUN = 24;

export const REDACTED = "[redacted: the agent's instructions]";

/** Text with whitespace runs, and the `\n` `\t` `\r` escapes a JSON dump leaves, as one space; `at[i]` is where char i came from. */
function normalise(text: string): { flat: string; at: number[]; end: number[] } {
  let flat = '';
  const at: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < text.length; ) {
    const escaped = text[i] === '\\' && /[ntr]/.test(text[i + 1] ?? '');
    if (escaped || /\s/.test(text[i]!)) {
      const start = i;
      while (i < text.length && ((text[i] === '\\' && /[ntr]/.test(text[i + 1] ?? '')) || /\s/.test(text[i]!))) i += text[i] === '\\' ? 2 : 1;
      if (flat.endsWith(' ')) end[end.length - 1] = i;
      else {
        flat += ' ';
        at.push(start);
        end.push(i);
      }
    } else {
      flat += text[i];
      at.push(i);
      end.push(i + 1);
      i += 1;
    }
  }
  return { flat, at, end };
}

/** A 32-bit polynomial hash of every MIN_SECRET_RUN-long window, rolled along the text. */
function windowHashes(text: string, visit: (start: number, hash: number) => void): void {
  const n = MIN_SECRET_RUN;
  if (text.length < n) return;
  let power = 1;
  for (let i = 1; i < n; i++) power = Math.imul(power, 31);
  let hash = 0;
  for (let i = 0; i < text.length; i++) {
    if (i >= n) hash = (hash - Math.imul(text.charCodeAt(i - n), power)) | 0;
    hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
    if (i >= n - 1) visit(i - n + 1, hash);
  }
}

/**
 * Cuts from a text every run of at least MIN_SECRET_RUN characters that also occurs in `secret`,
 * comparing with whitespace collapsed. `publicTexts` (the agent's id, name, description, tool
 * names: what tools/list shows anyway) are taken out of the secret first, so quoting them is kept.
 * The secret's windows are indexed on first use: cost per text is linear in the text.
 */
export function createRedactor(secret: string, publicTexts: readonly string[] = []): (text: string) => string {
  let pieces: string[] | undefined;
  let hashes: Set<number> | undefined;
  const index = () => {
    let flat = normalise(secret).flat;
    for (const text of publicTexts.map((t) => normalise(t).flat).filter((t) => t.length >= MIN_SECRET_RUN)) flat = flat.split(text).join('\0');
    pieces = flat.split('\0');
    hashes = new Set();
    for (const piece of pieces) windowHashes(piece, (_, hash) => hashes!.add(hash));
  };
  return (text) => {
    if (secret.length < MIN_SECRET_RUN || text.length < MIN_SECRET_RUN) return text;
    if (!hashes) index();
    const { flat, at, end } = normalise(text);
    const cuts: [number, number][] = [];
    windowHashes(flat, (start, hash) => {
      if (!hashes!.has(hash)) return;
      const window = flat.slice(start, start + MIN_SECRET_RUN);
      if (!pieces!.some((piece) => piece.includes(window))) return;
      const [from, to] = [at[start]!, end[start + MIN_SECRET_RUN - 1]!];
      const last = cuts.at(-1);
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else cuts.push([from, to]);
    });
    if (!cuts.length) return text;
    let out = '';
    let from = 0;
    for (const [start, stop] of cuts) {
      out += text.slice(from, start) + REDACTED;
      from = stop;
    }
    return out + text.slice(from);
  };
}
