import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createServer, type ServerOptions } from '../server.js';

/** One session over stdin/stdout. Resolves when the client goes away (stdin ends or the transport closes). */
export async function serveStdio(options: ServerOptions): Promise<void> {
  const server = createServer(options);
  const closed = new Promise<void>((resolve) => {
    server.onclose = ((previous) => () => {
      previous?.();
      resolve();
    })(server.onclose);
    process.stdin.once('end', () => void server.close());
    // A client that dies mid-answer makes the next write fail (EPIPE); that ends the session, not the process.
    process.stdout.on('error', () => void server.close());
  });
  await server.connect(new StdioServerTransport());
  await closed;
}
