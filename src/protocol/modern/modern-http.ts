import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type AuthInfo } from '@modelcontextprotocol/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Catalogue } from '../../catalogue/catalogue.js';
import { silentLogger } from '../../log.js';
import { bearerToken } from '../../identity/http-tokens.js';
import type { Caller, CallerResolver } from '../../identity/callers.js';
import { createModernServer, type ModernServerOptions } from './modern-server.js';
import { toolListChanges } from '../tool-list-changes.js';

/** The slots `subscriptions/listen` streams share with 2025 sessions, and their idle expiry (transports/http-sessions.ts). */
export interface StreamSlots {
  /** Takes a slot of `identity` or throws HttpError (429/503); `end` ends the stream once its caller is idle; returns the release. */
  openStream(identity: string, end: () => void): () => void;
  /** A request of `identity` other than a listen: activity that keeps its listen streams. */
  trackCaller(identity: string, res: ServerResponse): void;
}

export interface ModernHttpOptions extends ModernServerOptions {
  /** Who a request's token is: the same token check as 2025 sessions get. */
  callers: CallerResolver;
  /** The catalogue whose changes reach open `subscriptions/listen` streams. */
  catalogue: Catalogue;
  streams: StreamSlots;
}

/** The MCP 2026-07-28 front of `/mcp`: each request stands alone and brings its caller's token. */
export interface ModernHttp {
  /**
   * Answers a request protocol/era.ts calls 2026-07-28; throws HttpError (403 when the token is refused, 502/503 when it
   * cannot be checked) before anything runs. `address`: the client's, for the limit of failed token checks.
   */
  serve(req: IncomingMessage, res: ServerResponse, body: unknown, address: string | undefined): Promise<void>;
  /** Ends the open `subscriptions/listen` streams: they are not calls, and shutdown must not wait for them. */
  stopListening(): void;
  /** Stops every call still running (upstream too); each answers its JSON-RPC error with `message` on its own stream. */
  stopCalls(message: string): void;
  /** Aborts in-flight 2026 requests and ends open listen streams. */
  close(): Promise<void>;
}

interface ResolvedCaller {
  caller: Caller;
  credentialed: boolean;
}

/** The caller rides to the per-request factory on the SDK's pass-through authInfo; `token` holds the identity hash, never the token. */
const authInfoFor = (resolved: ResolvedCaller): AuthInfo => ({
  token: resolved.caller.identity,
  clientId: resolved.caller.identity,
  scopes: [],
  extra: { resolved },
});

export function createModernHttp(options: ModernHttpOptions): ModernHttp {
  const { callers, catalogue, streams, logger = silentLogger } = options;
  const stopping = new AbortController();
  const serverOptions = { ...options, stopped: stopping.signal };
  const handler = createMcpHandler(
    ({ authInfo }) => {
      const { caller, credentialed } = authInfo!.extra!.resolved as ResolvedCaller;
      return createModernServer(caller, serverOptions, { credentialed });
    },
    // 2025 traffic never gets here: the sessionful v1 front serves it (see transports/http.ts).
    // Listen streams are counted per identity before they get here (`streams`): the SDK's own bound, one
    // number for everyone that it answers in-band with HTTP 200, must never refuse first.
    { legacy: 'reject', maxSubscriptions: Number.MAX_SAFE_INTEGER, onerror: (error) => logger.debug(`MCP 2026-07-28 request: ${error.message}`) },
  );
  const toNode = toNodeHandler(handler, { onerror: (error) => logger.warn(`MCP 2026-07-28 request failed: ${error.message}`) });
  const listens = new Set<ServerResponse>();
  // Callers with catalogues of their own (no JWT_TOKEN, or --per-user-catalogue) hear those change too; a
  // listen stream re-lists with its own token, so a change of someone else's catalogue only costs a re-list.
  const changes = toolListChanges(() => handler.notify.toolsChanged());
  changes.watch(catalogue);

  return {
    async serve(req, res, body, address) {
      // A token-less request on a bridge that requires tokens was refused before (transports/http.ts), in both eras.
      const token = bearerToken(req, callers.oauth?.challenge);
      const caller = await callers.resolve(token, address);
      changes.watch(caller.catalogue);
      (req as IncomingMessage & { auth?: AuthInfo }).auth = authInfoFor({ caller, credentialed: token !== undefined });
      if ((body as { method?: unknown } | null)?.method === 'subscriptions/listen') {
        // A stream that holds a socket like a session does counts like one: one caller cannot hold every socket.
        const release = streams.openStream(caller.identity, () => res.destroy());
        listens.add(res);
        res.once('close', () => {
          listens.delete(res);
          release();
        });
      } else streams.trackCaller(caller.identity, res);
      await toNode(req, res, body);
    },
    stopListening() {
      for (const res of listens) res.destroy();
    },
    stopCalls(message) {
      stopping.abort(message);
    },
    async close() {
      changes.stop();
      await handler.close();
    },
  };
}
