import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { createServer, type ServerOptions } from '../server.js';
import { duplicateIdError, InFlightRequests } from './request-ids.js';

/** stdio carries one session, so a reused id would cross answers as it would over HTTP: it is refused here too. */
class OneAnswerPerId implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly inFlight = new InFlightRequests();

  constructor(private readonly inner: Transport) {
    inner.onmessage = (message, extra) => {
      const reused = this.inFlight.claim(message);
      if (reused !== undefined) return void inner.send(duplicateIdError(reused)).catch((error: Error) => this.onerror?.(error));
      this.inFlight.delivered(message);
      this.onmessage?.(message, extra);
    };
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.inFlight.settle(message);
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

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
  await server.connect(new OneAnswerPerId(new StdioServerTransport()));
  await closed;
}
