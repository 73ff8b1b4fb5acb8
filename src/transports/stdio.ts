import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { PassThrough, type Readable } from 'node:stream';
import { formatBytes } from '../kernel/byte-size.js';
import { silentLogger } from '../log.js';
import { noObserver } from '../kernel/observer.js';
import { isModern } from '../protocol/era.js';
import { createServer, type ServerOptions } from '../protocol/legacy/server.js';
import { MAX_STDIO_MESSAGE_BYTES, MessageSizeLimit, type OversizedMessage } from './message-size-limit.js';
import { OneAnswerPerId } from '../protocol/request-ids.js';
import type { CallLimiter } from '../operating/rate-limit.js';
import { StdioCallLimit } from './stdio-call-limit.js';

const LIMIT = formatBytes(MAX_STDIO_MESSAGE_BYTES);

/** The options of both eras' servers (the era is known only once the client's opening message is read), and `--rate-limit`'s counter. */
export type StdioOptions = ServerOptions & { rateLimiter?: CallLimiter };

interface Opening {
  /** The client's first message, parsed; undefined when it is not JSON (the 2025 transport then refuses it). */
  message: unknown;
  /** The whole input, the opening line included, for whichever era serves it. */
  input: Readable;
}

/** Reads the client's first line, then hands over a stream that replays it and carries the rest. */
async function readOpening(stdin: Readable): Promise<Opening> {
  const chunks: Buffer[] = [];
  const ended = await new Promise<boolean>((resolve) => {
    const finish = (end: boolean) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
      resolve(end);
    };
    // Lines arrive whole and bounded (MessageSizeLimit, upstream): waiting for the first newline holds one message at most.
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(10)) finish(false);
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
  return { message: newline >= 0 ? parsed(head.subarray(0, newline).toString('utf8')) : undefined, input };
}

function parsed(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** One session over stdin/stdout. Resolves when the client goes away (stdin ends or the transport closes). */
export async function serveStdio(options: StdioOptions): Promise<void> {
  const logger = options.logger ?? silentLogger;
  const observer = options.observer ?? noObserver;
  // A message over the limit is refused on its own, in either era; the session goes on.
  const refuse = ({ bytes, id }: OversizedMessage) => {
    observer.refused('body_too_large');
    const message = `Request too large: ${bytes} bytes, over the ${LIMIT} (${MAX_STDIO_MESSAGE_BYTES} bytes) a stdio message may have; send less, e.g. a shorter message.`;
    logger.warn(
      `refused a stdio message of ${bytes} bytes (over the ${LIMIT} limit)${id === undefined ? '; its id could not be read, so no error reply was sent' : ''}`,
    );
    if (id !== undefined) process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message } })}\n`);
  };
  // The client's opening message chooses the era for the whole connection (protocol/era.ts).
  const bounded = process.stdin.pipe(new MessageSizeLimit(refuse));
  const { rateLimiter } = options;
  const opening = await readOpening(rateLimiter ? bounded.pipe(new StdioCallLimit(rateLimiter, (line) => process.stdout.write(line))) : bounded);
  // Loaded only for a 2026 client: the v2 SDK costs about 0.18 s of start-up that a 2025 client would wait for.
  if (await isModern({ body: opening.message })) return (await import('../protocol/modern/modern-stdio.js')).serveModernStdio(options, opening.input);
  const server = createServer(options);
  const closed = new Promise<void>((resolve) => {
    server.onclose = ((previous) => () => {
      previous?.();
      resolve();
    })(server.onclose);
    opening.input.once('end', () => void server.close());
    // A client that dies mid-answer makes the next write fail (EPIPE); that ends the session, not the process.
    process.stdout.on('error', () => void server.close());
  });
  // Lines reach the SDK whole and bounded; its own buffer bound (which closes the transport) is never reached.
  const transport = new StdioServerTransport(opening.input, process.stdout, { maxBufferSize: 2 * MAX_STDIO_MESSAGE_BYTES });
  await server.connect(new OneAnswerPerId(transport));
  await closed;
}
