import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { readStdioOpening } from '../protocol/stdio-opening.js';
import { createServer, type ServerOptions } from '../server.js';

/** One session over stdin/stdout. Resolves when the client goes away (stdin ends or the transport closes). */
export async function serveStdio(options: ServerOptions): Promise<void> {
  // The client's opening exchange chooses the era: initialize for 2025-11-25, an envelope claim for 2026-07-28.
  const opening = await readStdioOpening(process.stdin);
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
  await server.connect(new StdioServerTransport(opening.input, process.stdout));
  await closed;
}
