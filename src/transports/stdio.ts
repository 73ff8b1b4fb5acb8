import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { silentLogger } from '../log.js';
import { readStdioOpening } from '../protocol/era.js';
import { createServer, type ServerOptions } from '../protocol/legacy/server.js';
import { MAX_STDIO_MESSAGE_BYTES, MessageSizeLimit, type OversizedMessage } from './message-size-limit.js';
import { OneAnswerPerId } from '../protocol/request-ids.js';

const LIMIT = `${MAX_STDIO_MESSAGE_BYTES / 1024 / 1024} MiB`;

/** The options of both eras' servers: the era is known only once the client's opening message is read. */
export type StdioOptions = ServerOptions;

/** One session over stdin/stdout. Resolves when the client goes away (stdin ends or the transport closes). */
export async function serveStdio(options: StdioOptions): Promise<void> {
  const logger = options.logger ?? silentLogger;
  // A message over the limit is refused on its own, in either era; the session goes on.
  const refuse = ({ bytes, id }: OversizedMessage) => {
    const message = `Request too large: ${bytes} bytes, over the ${LIMIT} (${MAX_STDIO_MESSAGE_BYTES} bytes) a stdio message may have; send less, e.g. a shorter message.`;
    logger.warn(`refused a stdio message of ${bytes} bytes (over the ${LIMIT} limit)${id === undefined ? '; its id could not be read, so no error reply was sent' : ''}`);
    if (id !== undefined) process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code: ErrorCode.InvalidRequest, message } })}\n`);
  };
  // The client's opening exchange chooses the era: initialize for 2025-11-25, an envelope claim for 2026-07-28.
  const opening = await readStdioOpening(process.stdin.pipe(new MessageSizeLimit(refuse)));
  // Loaded only for a 2026 client: the v2 SDK costs about 0.18 s of start-up that a 2025 client would wait for.
  if (opening.modern) return (await import('../protocol/modern/modern-stdio.js')).serveModernStdio(options, opening.input);
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
