import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallerResolver } from '../identity/callers.js';
import { createServer } from '../protocol/legacy/server.js';
import type { TaskBoard } from '../tasks/task-board.js';
import type { HttpOptions } from './http-options.js';
import { plainRequestId, SessionTransport } from './session-transport.js';
import { HttpError } from '../kernel/errors.js';

/** GET (the event stream) and DELETE (ending a session) need a session; a server without sessions refuses them, as the spec says. */
export const noSessionMethod = (method: string | undefined): HttpError =>
  new HttpError(
    405,
    `Method Not Allowed: this bridge runs without sessions (--stateless): ${method ?? 'this method'} /mcp has nothing to open or end; send each request as a POST.`,
    {
      allow: 'POST',
    },
  );

/** A plain request or an initialize is answered with one JSON body (cheaper for both ends); progress and tasks get an event stream. */
const answersInJson = (body: unknown): boolean => plainRequestId(body) !== undefined || (body as { method?: unknown } | null)?.method === 'initialize';

/** 2025-11-25 requests served without sessions (`--stateless`): each POST stands alone and brings its token. */
export interface StatelessFront {
  serve(req: IncomingMessage, res: ServerResponse, token: string | undefined, body: unknown, address: string | undefined): Promise<void>;
  /** Answers every call still running with a JSON-RPC error carrying `message` (shutdown). */
  stopCalls(message: string): Promise<void>;
}

/**
 * One MCP server and transport per request, dropped when its answer is sent: nothing outlives the
 * request but the caller's tasks, which live on the board by identity, as 2026-07-28 tasks do, so a
 * task started through one replica is found through another once the board is shared (Redis).
 */
export function statelessFront(options: HttpOptions, callers: CallerResolver, board: TaskBoard): StatelessFront {
  const running = new Set<SessionTransport>();
  return {
    async serve(req, res, token, body, address) {
      const caller = await callers.resolve(token, address);
      const server = createServer({
        ...options,
        catalogue: caller.catalogue,
        client: caller.client,
        tasks: board,
        identityTasks: board.forIdentity(caller.identity),
        identity: caller.identity,
        perRequest: true,
      });
      const transport = new SessionTransport({ sessionIdGenerator: undefined, enableJsonResponse: answersInJson(body) });
      running.add(transport);
      // No session can pick the answer up later: a client that leaves ends its call, upstream too (closing aborts the handler).
      res.once('close', () => {
        running.delete(transport);
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    },
    async stopCalls(message) {
      await Promise.all([...running].map((transport) => transport.stopCalls(message)));
    },
  };
}
