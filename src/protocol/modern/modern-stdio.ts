import type { Server } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import type { Readable } from 'node:stream';
import { silentLogger } from '../../log.js';
import type { FrontOptions } from '../front-options.js';
import { toolListChanges } from '../tool-list-changes.js';
import type { Caller } from '../../identity/callers.js';
import { createModernServer } from './modern-server.js';
import { OneAnswerPerId } from '../request-ids.js';

/**
 * One MCP 2026-07-28 connection over stdin/stdout, for a client whose opening message claimed
 * that era. stdio has one caller, the service-level client (JWT_TOKEN). Resolves when the input ends.
 */
export async function serveModernStdio(options: FrontOptions, input: Readable): Promise<void> {
  const { catalogue, client, logger = silentLogger } = options;
  const caller: Caller = { identity: 'service', client, catalogue };
  const instances = new Set<Server>();
  const handle = serveStdio(
    () => {
      const server = createModernServer(caller, options, { credentialed: false, taskStatus: true });
      instances.add(server);
      server.onclose = () => instances.delete(server);
      return server;
    },
    // A request id reused while its request runs is refused, as in 2025: the answers would cross.
    {
      legacy: 'reject',
      transport: new OneAnswerPerId(new StdioServerTransport(input, process.stdout)),
      onerror: (error) => logger.debug(`MCP 2026-07-28 over stdio: ${error.message}`),
    },
  );
  // serveStdio routes the instance's list_changed onto the client's open subscriptions/listen requests.
  const changes = toolListChanges(() => Promise.all([...instances].map((server) => server.sendToolListChanged())));
  changes.watch(catalogue);
  await new Promise<void>((resolve) => {
    input.once('end', resolve);
    // A client that dies mid-answer makes the next write fail (EPIPE); that ends the connection, not the process.
    process.stdout.once('error', () => resolve());
  });
  changes.stop();
  await handle.close();
}
