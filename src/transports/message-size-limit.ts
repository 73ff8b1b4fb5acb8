import { Transform, type TransformCallback } from 'node:stream';

/** The SDK's own bound on a stdio message (its read buffer); a longer line would make it close the transport. */
export const MAX_STDIO_MESSAGE_BYTES = 10 * 1024 * 1024;

export interface OversizedMessage {
  bytes: number;
  /** The request's id, when it could be read from the message's start or end. */
  id?: string | number;
}

const ID = String.raw`"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")`;
/** `{"jsonrpc":"2.0","id":7,…`: the id before any object value, so it cannot be a nested one. */
const ID_FIRST = new RegExp(String.raw`^\s*\{(?:\s*"(?:jsonrpc|method)"\s*:\s*"(?:[^"\\]|\\.)*"\s*,)*\s*${ID}`);
/** `…,"id":7}`: the last key of the top-level object (the SDK's clients write the id last). */
const ID_LAST = new RegExp(String.raw`,\s*${ID}\s*\}\s*$`);
const KEPT = 4096;

function idOf(head: string, tail: string): string | number | undefined {
  const raw = ID_FIRST.exec(head)?.[1] ?? ID_LAST.exec(tail)?.[1];
  return raw === undefined ? undefined : (JSON.parse(raw) as string | number);
}

/**
 * Passes stdin on line by line (one line is one JSON-RPC message) and drops any line longer than
 * `maxBytes`, reporting it instead; only its first and last few KiB are kept, to find its id. The
 * SDK's transport would otherwise close the session on such a line, and the bin would exit 0.
 */
export class MessageSizeLimit extends Transform {
  private parts: Buffer[] = [];
  private size = 0;
  private head: Buffer | undefined;
  private tail = Buffer.alloc(0);

  constructor(
    private readonly onOversized: (message: OversizedMessage) => void,
    private readonly maxBytes = MAX_STDIO_MESSAGE_BYTES,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const lines: Buffer[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(10); ; newline = chunk.indexOf(10, start)) {
      this.append(chunk.subarray(start, newline === -1 ? chunk.length : newline + 1));
      if (newline === -1) break;
      const line = this.endLine();
      if (line) lines.push(line);
      start = newline + 1;
    }
    if (lines.length) this.push(Buffer.concat(lines));
    done();
  }

  override _flush(done: TransformCallback): void {
    const rest = this.endLine();
    if (rest) this.push(rest);
    done();
  }

  private append(piece: Buffer): void {
    this.size += piece.length;
    if (this.head) {
      this.tail = Buffer.concat([this.tail, piece]).subarray(-KEPT);
    } else if (this.size > this.maxBytes) {
      const line = Buffer.concat([...this.parts, piece]);
      this.head = line.subarray(0, KEPT);
      this.tail = line.subarray(-KEPT);
      this.parts = [];
    } else {
      this.parts.push(piece);
    }
  }

  /** The finished line to pass on, or undefined when it was too long (and has been reported). */
  private endLine(): Buffer | undefined {
    const { head, tail, size } = this;
    const line = head ? undefined : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    this.head = undefined;
    this.tail = Buffer.alloc(0);
    if (head) this.onOversized({ bytes: size, id: idOf(head.toString('utf8'), tail.toString('utf8')) });
    return line?.length ? line : undefined;
  }
}
