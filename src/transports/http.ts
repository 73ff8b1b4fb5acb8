import type { MastraClient } from '@mastra/client-js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../log.js';
import { createMastraClient } from '../mastra-client.js';
import { createServer, type ServerOptions } from '../server.js';
import { TaskBoard } from '../task-board.js';
import { readiness } from './http-health.js';
import { checkToken, hashToken, Sessions, type Session } from './http-sessions.js';
import { sessionNotFound, SessionTransport } from './session-transport.js';
import { bearerToken, createOriginCheck, defaultAllowedHosts, HttpError, isLoopback, readJsonBody, sendError, sendJson, urlHost } from './web-safety.js';

/** Each session's server gets these options; `client` is the service-level one, for sessions that bring no token. */
export interface HttpOptions extends ServerOptions {
  /** Builds the client of a session that brings its own token. Default: `createMastraClient`. */
  clientForToken?: (token: string) => MastraClient;
  /** Bind address. Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one. Default 3000. */
  port?: number;
  /** Refuse sessions without `Authorization: Bearer <token>` (401). Default false. */
  requireToken?: boolean;
  /** On a non-loopback host, let sessions without a token use the service client. Default false. */
  allowAnonymous?: boolean;
  /** Host header values accepted. Default: loopback names and the bind address (see web-safety.ts). */
  allowedHosts?: string[];
  /** Origins accepted. Default: the request's own origin only. */
  allowedOrigins?: string[];
  /** Largest request body in bytes. Default 1 MiB. */
  maxBody?: number;
  /** Open sessions at most. Default 1000. */
  maxSessions?: number;
  /** Idle time after which a session is closed. Default 30 minutes. */
  sessionIdleTimeoutMs?: number;
  /** How long in-flight calls may take to finish on shutdown. Default 10 s. */
  shutdownGraceMs?: number;
}

export interface HttpBridge {
  /** `http://HOST:PORT/mcp` with the real port. */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight calls finish within the grace period, then closes every session. */
  close(options?: { graceMs?: number }): Promise<void>;
}

const MCP_PATH = '/mcp';

/** Streamable HTTP at /mcp: one MCP server per session, each bound to the token it was opened with. */
export async function startHttp(options: HttpOptions): Promise<HttpBridge> {
  const { catalogue, client, baseUrl, host = '127.0.0.1', logger = silentLogger } = options;
  const clientForToken = options.clientForToken ?? createMastraClient;
  const maxBody = options.maxBody ?? 1_048_576;
  const maxSessions = options.maxSessions ?? 1000;
  // A bridge reachable from a network must not lend its service token to whoever connects.
  const requireToken = options.requireToken || (!isLoopback(host) && !options.allowAnonymous);
  const checkOrigin = createOriginCheck({ allowedHosts: options.allowedHosts ?? defaultAllowedHosts(host), allowedOrigins: options.allowedOrigins });
  const sessions = new Sessions({ idleTimeoutMs: options.sessionIdleTimeoutMs ?? 30 * 60_000, logger });
  // Imported here, not at the top: a stdio bridge never loads the v2 SDK for it (about 0.18 s of start-up).
  const modern = (await import('../protocol/modern/modern-http.js')).modernFrontFor(options);
  let opening = 0;
  let calls = 0;
  let stopping = false;

  async function openSession(req: IncomingMessage, res: ServerResponse, token: string | undefined, body: unknown): Promise<void> {
    if (!isInitializeRequest(body)) throw new HttpError(400, 'Bad Request: send an initialize request to start a session, or the Mcp-Session-Id header of an open one.');
    if (sessions.size + opening >= maxSessions) {
      throw new HttpError(503, `Service Unavailable: the bridge has ${maxSessions} open sessions, its limit (--max-sessions); try again later.`, { 'retry-after': '30' });
    }
    opening++;
    const sessionTasks = (options.tasks ?? new TaskBoard()).openSession();
    const server = createServer({ ...options, client: token === undefined ? client : clientForToken(token), sessionTasks });
    let session: Session | undefined;
    const transport = new SessionTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        session = {
          id,
          server,
          transport,
          tokenHash: token === undefined ? null : hashToken(token),
          lastSeen: Date.now(),
          active: 0,
          busy: () => sessionTasks.runningCount() > 0,
        };
        sessions.add(session);
        sessions.track(session, res);
      },
    });
    server.onclose = ((previous) => () => {
      previous?.();
      if (transport.sessionId) sessions.remove(transport.sessionId);
    })(server.onclose);
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      opening--;
      // An initialize the transport refused leaves a server that no session id can reach.
      if (!session) void server.close();
    }
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkOrigin(req);
    const token = bearerToken(req);
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') {
      if (req.method !== 'POST') throw new HttpError(400, 'Bad Request: Mcp-Session-Id header is required; start a session with an initialize POST.');
      if (token === undefined && requireToken) throw unauthorized('this bridge requires each session to bring its own Mastra token');
      const body = await readJsonBody(req, maxBody);
      // MCP 2026-07-28 requests carry no session: the era is chosen per request.
      if (await modern.claims(req, body)) return modern.serve(req, res, body);
      return openSession(req, res, token, body);
    }
    const session = sessions.get(sessionId);
    if (!session) throw sessionNotFound();
    const check = checkToken(session, token);
    if (check === 'missing') throw unauthorized('this session was opened with a token; send the same token with each request');
    if (check === 'wrong') throw new HttpError(403, 'Forbidden: this session was opened with another token (or none); use the token the session was opened with, or start a new session.');
    // Tracked from here, so the idle sweeper leaves the session alone while its body arrives.
    sessions.track(session, res);
    const body = req.method === 'POST' ? await readJsonBody(req, maxBody) : undefined;
    // The session may have ended (DELETE, shutdown) while the body arrived.
    if (sessions.get(sessionId) !== session) throw sessionNotFound();
    await session.transport.handleRequest(req, res, body);
  }

  const httpServer = createHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // Probes come from orchestrators with any Host header, and these answers hold no secret.
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      if (stopping) return sendJson(res, 503, { status: 'stopping' });
      void readiness(catalogue, baseUrl).then(({ ready, ...details }) => sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...details }));
      return;
    }
    if (path !== MCP_PATH) return sendJson(res, 404, { error: `Not found: the MCP endpoint is ${MCP_PATH}` });
    if (stopping) return sendError(res, new HttpError(503, 'Service Unavailable: the bridge is shutting down.', { connection: 'close' }));
    // An open event stream is not a call: shutdown waits only for requests that run something.
    const isCall = req.method !== 'GET';
    if (isCall) {
      calls++;
      res.once('close', () => calls--);
    }
    handleMcp(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) return sendError(res, error);
      logger.error(`HTTP ${req.method} ${MCP_PATH} failed: ${error instanceof Error ? error.message : String(error)}`);
      sendError(res, new HttpError(500, 'Internal error in the bridge; see its log.'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${urlHost(host)}:${options.port ?? 3000} (${error.code ?? error.message}); choose another --host or --port`)),
    );
    httpServer.listen(options.port ?? 3000, host, resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  const closed = new Promise<void>((resolve) => httpServer.once('close', resolve));
  if (requireToken && !options.requireToken) logger.info(`${host} is not a loopback address: sessions must bring their own Mastra token (--allow-anonymous lifts this)`);

  let closing: Promise<void> | undefined;
  let graceEnds = Infinity;
  const drainAndClose = async () => {
    stopping = true;
    modern.stopListening();
    httpServer.close();
    while (calls > 0 && Date.now() < graceEnds) await new Promise((resolve) => setTimeout(resolve, 50));
    if (calls > 0) logger.warn(`closing with ${calls} call(s) still running: the shutdown grace period is over`);
    await Promise.all([sessions.closeAll(), modern.close()]);
    httpServer.closeAllConnections();
    await closed;
  };
  return {
    url: `http://${urlHost(host)}:${port}${MCP_PATH}`,
    port,
    close: ({ graceMs = options.shutdownGraceMs ?? 10_000 } = {}) => {
      graceEnds = Math.min(graceEnds, Date.now() + graceMs);
      return (closing ??= drainAndClose());
    },
  };
}

function unauthorized(reason: string): HttpError {
  return new HttpError(401, `Unauthorized: ${reason}. Send "Authorization: Bearer <your Mastra token>".`, { 'www-authenticate': 'Bearer' });
}

/**
 * Serves until SIGINT or SIGTERM, then shuts down gracefully; a second signal skips the grace period.
 * `onListening` hears the URL once the port is bound.
 */
export async function serveHttp(options: HttpOptions & { onListening(url: string): void }): Promise<void> {
  const bridge = await startHttp(options);
  options.onListening(bridge.url);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      options.logger?.info(`${signal}: finishing in-flight calls, then closing`);
      process.once('SIGINT', () => void bridge.close({ graceMs: 0 }));
      process.once('SIGTERM', () => void bridge.close({ graceMs: 0 }));
      void bridge.close().then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
