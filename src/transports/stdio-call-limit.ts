import { Transform, type TransformCallback } from 'node:stream';
import { JsonRpcCode } from '../kernel/errors.js';
import { SERVICE_IDENTITY } from '../identity/callers.js';
import { countedCalls, type CallLimiter } from '../operating/rate-limit.js';

/**
 * `--rate-limit` over stdio, where the caller is the service identity: a tools/call over the limit is
 * answered here with a JSON-RPC error naming the limit (`data.retryAfterSeconds`), and never reaches
 * the server; every other line passes as it came, in order.
 */
export class StdioCallLimit extends Transform {
  private partial = '';

  constructor(
    private readonly limiter: CallLimiter,
    private readonly answer: (line: string) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const lines = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = lines.pop() ?? '';
    this.pass(lines).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.partial) this.push(this.partial);
    done();
  }

  private async pass(lines: string[]): Promise<void> {
    for (const line of lines) {
      const refusal = await this.refusalOf(line);
      if (refusal) this.answer(`${JSON.stringify(refusal)}\n`);
      else this.push(`${line}\n`);
    }
  }

  private async refusalOf(line: string) {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      return undefined;
    }
    const id = (message as { id?: unknown } | null)?.id;
    if (!countedCalls(message) || (typeof id !== 'string' && typeof id !== 'number')) return undefined;
    const refusal = await this.limiter.take(SERVICE_IDENTITY);
    return (
      refusal && {
        jsonrpc: '2.0',
        id,
        error: { code: JsonRpcCode.ConnectionClosed, message: refusal.message, data: { retryAfterSeconds: refusal.retryAfterS } },
      }
    );
  }
}
