import { PassThrough, type Readable } from 'node:stream';

/** The protocol-version key of the per-request `_meta` envelope: present only in MCP 2026-07-28 (and later) requests. */
const ENVELOPE_CLAIM = 'io.modelcontextprotocol/protocolVersion';

/** A line this long without a newline is no opening either era would send; let the 2025 transport refuse it. */
const PEEK_LIMIT = 10 * 1024 * 1024;

export interface StdioOpening {
  /** Whether the client opened in MCP 2026-07-28: its first message carries the envelope claim. */
  modern: boolean;
  /** The whole input, the opening line included, for whichever era serves it. */
  input: Readable;
}

function claimsEnvelope(line: string): boolean {
  try {
    const message = JSON.parse(line) as { params?: { _meta?: Record<string, unknown> } };
    return message?.params?._meta?.[ENVELOPE_CLAIM] !== undefined;
  } catch {
    return false;
  }
}

/**
 * Reads the client's first message to choose the era (initialize or no claim: 2025-11-25; an
 * envelope claim: 2026-07-28), then hands over a stream that replays it and carries the rest.
 */
export async function readStdioOpening(stdin: Readable): Promise<StdioOpening> {
  const chunks: Buffer[] = [];
  let size = 0;
  const ended = await new Promise<boolean>((resolve) => {
    const finish = (end: boolean) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(end);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (chunk.includes(10) || size > PEEK_LIMIT) finish(false);
    };
    const onEnd = () => finish(true);
    stdin.on('data', onData);
    stdin.once('end', onEnd);
  });
  const head = Buffer.concat(chunks);
  const newline = head.indexOf(10);
  const input = new PassThrough();
  input.write(head);
  if (ended) input.end();
  else stdin.pipe(input);
  return { modern: newline >= 0 && claimsEnvelope(head.subarray(0, newline).toString('utf8')), input };
}
