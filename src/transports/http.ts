import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken, tokenRefused } from '../identity/http-tokens.js';
import { silentLogger } from '../log.js';
import { isModern } from '../protocol/era.js';
import { createServer } from '../protocol/legacy/server.js';
import { clientAddress } from './client-address.js';
import { capConnections, connectionCapFor, descriptorBudget } from './connection-cap.js';
import { describePolicy, readiness } from './http-health.js';
import { identityFor, type HttpBridge, type HttpOptions } from './http-options.js';
import { checkToken, Sessions, type Session } from './http-sessions.js';
import { noSessionMethod, statelessFront } from './http-stateless.js';
import { sessionNotFound, SessionTransport } from './session-transport.js';
import { createOriginCheck, defaultAllowedHosts, isLoopback, readRpcBody, sendError, sendJson, urlHost } from './web-safety.js';
import { HttpError } from '../kernel/errors.js';
import { noObserver } from '../kernel/observer.js';
import { countedCalls } from '../operating/rate-limit.js';
import type { Caller } from '../identity/callers.js';

export type { HttpBridge, HttpOptions } from './http-options.js';

const MCP_PATH = '/mcp';
/** RFC 9728 metadata: at the root, and for the resource's path, where clients built on the MCP spec look first. */
const WELL_KNOWN = ['/.well-known/oauth-protected-resource', `/.well-known/oauth-protected-resource${MCP_PATH}`];

/** A request with no session and no envelope, other than initialize: both eras' ways in. */
const NO_WAY_IN =
  'Bad Request: this request has no Mcp-Session-Id and no 2026-07-28 envelope: send initialize to open a 2025-11-25 session, or a 2026-07-28 request with its _meta envelope (or use the Mcp-Session-Id of an open session).';

const STOPPED_MESSAGE =
  'The bridge is shutting down: this call was stopped before it finished (the shutdown grace period is over). Call again once the bridge is back.';
/** How long the answers to stopped calls get to reach their clients before the sockets close. */
const FLUSH_MS = 2_000;
/**
 * How long a client gets to read the answer to its stopped call once it is written, before its socket is closed. A
 * socket closed at once can beat the last event of an answer through the client: the SDK v2 client then reports
 * "Connection closed" instead of the answer (test/modern-http.test.ts, "after the grace period").
 */
const READ_MS = 250;

const until = async (done: () => boolean, deadline: number) => {
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
};

/** Streamable HTTP at /mcp: one MCP server per session, each bound to the caller (token) it was opened with. */
export async function startHttp(options: HttpOptions): Promise<HttpBridge> {
  const { catalogue, baseUrl, host, port: bindPort, maxBody, maxSessions, sessionIdleTimeoutMs, logger = silentLogger, observer = noObserver } = options;
  // A bridge reachable from a network must not lend its service token to whoever connects.
  // An OAuth protected resource serves signed-in users only.
  const requireToken = options.requireToken || options.oauth !== undefined || (!isLoopback(host) && !options.allowAnonymous);
  const { callers, policy } = identityFor(options, { requireToken, keepMs: sessionIdleTimeoutMs });
  const oauth = callers.oauth?.challenge;
  const addressOf = await clientAddress(options.trustProxy);
  // No list given: the Host values of the bind address, made here since a wildcard bind names every address of the machine.
  const checkOrigin = createOriginCheck({ allowedHosts: options.allowedHosts ?? defaultAllowedHosts(host), allowedOrigins: options.allowedOrigins });
  const sessions = new Sessions({ sessionIdleTimeoutMs, maxSessions, maxSessionsPerIdentity: options.maxSessionsPerIdentity, logger, observer });
  // Imported here, not at the top: a stdio bridge never loads the v2 SDK for it (about 0.18 s of start-up).
  // One board for every front: a caller's tasks are the same whichever era or mode reaches them.
  const board = options.tasks;
  const modern = (await import('../protocol/modern/modern-http.js')).createModernHttp({ ...options, tasks: board, callers, streams: sessions });
  const stateless = options.stateless ? statelessFront(options, callers, board) : undefined;
  // A session id that names its replica lets a balancer route by it (see README, Running many replicas).
  const newSessionId = options.replicaId ? () => `${options.replicaId}.${randomUUID()}` : randomUUID;
  let calls = 0;
  let stopping = false;

  /** `--rate-limit`, the same for both eras and modes: a call over its caller's limit gets 429 before any front sees it. */
  async function limitCalls(body: unknown, caller: () => Promise<Caller>): Promise<void> {
    if (!options.rateLimiter || !countedCalls(body)) return;
    const refusal = await options.rateLimiter.take((await caller()).identity);
    if (refusal) throw new HttpError(429, refusal.message, { 'retry-after': String(refusal.retryAfterS) });
  }

  async function openSession(req: IncomingMessage, res: ServerResponse, token: string | undefined, body: unknown, address: string | undefined): Promise<void> {
    if (!isInitializeRequest(body)) throw new HttpError(400, NO_WAY_IN);
    // Checked before a slot is taken: a token Mastra refuses never holds one.
    const caller = await callers.resolve(token, address);
    const slot = sessions.reserve(caller.identity);
    const sessionTasks = board.openSession(caller.identity);
    const server = createServer({ ...options, catalogue: caller.catalogue, client: caller.client, sessionTasks, tasks: board, identity: caller.identity });
    let session: Session | undefined;
    const transport = new SessionTransport(
      {
        sessionIdGenerator: newSessionId,
        onsessioninitialized: (id) => {
          session = { id, server, transport, identity: caller.identity, lastSeen: Date.now(), active: 0, busy: () => sessionTasks.runningCount() > 0 };
          slot.add(session);
          sessions.track(session, req, res);
        },
      },
      // A client that can answer an elicitation gets its calls on an event stream, where the question can travel.
      () => server.getClientCapabilities()?.elicitation !== undefined,
    );
    server.onclose = ((previous) => () => {
      previous?.();
      if (transport.sessionId) sessions.remove(transport.sessionId);
    })(server.onclose);
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      slot.release();
      // An initialize the transport refused leaves a server that no session id can reach.
      if (!session) void server.close();
    }
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkOrigin(req);
    const token = bearerToken(req, oauth);
    const address = addressOf(req);
    // Whatever the method, era or session: a request without a valid access token learns how to sign in.
    if (oauth) await callers.resolve(token, address);
    const sessionId = req.headers['mcp-session-id'];
    // With --stateless a session id (say, from before the switch) names nothing: every request stands alone.
    if (typeof sessionId !== 'string' || stateless) {
      if (req.method !== 'POST')
        throw stateless
          ? noSessionMethod(req.method)
          : new HttpError(400, 'Bad Request: Mcp-Session-Id header is required; start a session with an initialize POST.');
      if (token === undefined && requireToken)
        throw tokenRefused(`this bridge requires each ${stateless ? 'request' : 'session'} to bring its own Mastra token`, oauth);
      const body = await readRpcBody(req, maxBody);
      await limitCalls(body, () => callers.resolve(token, address));
      // MCP 2026-07-28 requests carry no session: the era is chosen per request (protocol/era.ts).
      if (await isModern({ body, httpMethod: req.method, headers: req.headers })) return modern.serve(req, res, body, address);
      return stateless ? stateless.serve(req, res, token, body, address) : openSession(req, res, token, body, address);
    }
    const session = sessions.get(sessionId);
    if (!session) throw sessionNotFound();
    // An OAuth user's token changes as it is refreshed: their session is theirs by the verified identity, compared below.
    const check = oauth ? 'ok' : checkToken(session, token);
    if (check === 'missing') throw tokenRefused('this session was opened with a token; send the same token with each request');
    if (check === 'wrong')
      throw new HttpError(
        403,
        'Forbidden: this session was opened with another token (or none); use the token the session was opened with, or start a new session.',
      );
    // Tracked from here, so the idle sweeper leaves the session alone while its body arrives.
    sessions.track(session, req, res);
    // Re-checked once its last check is older than the TTL: a token Mastra has since refused gets nothing more.
    const caller = await callers.resolve(token, address);
    if (caller.identity !== session.identity) throw new HttpError(403, 'Forbidden: this session was opened by another user; start a new session.');
    const body = req.method === 'POST' ? await readRpcBody(req, maxBody) : undefined;
    await limitCalls(body, async () => caller);
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
      void readiness(catalogue, baseUrl, policy, board.state()).then(({ ready, ...details }) =>
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...details }),
      );
      return;
    }
    if (req.method === 'GET' && callers.oauth && WELL_KNOWN.includes(path ?? '')) return sendJson(res, 200, callers.oauth.metadata);
    // Checked by the endpoint itself (MCP_METRICS_TOKEN), not by Host: scrapers name the bridge by any address.
    if (req.method === 'GET' && path === '/metrics' && options.metricsEndpoint) return options.metricsEndpoint(req, res);
    if (path !== MCP_PATH) return sendJson(res, 404, { error: `Not found: the MCP endpoint is ${MCP_PATH}` });
    if (stopping) return sendError(res, new HttpError(503, 'Service Unavailable: the bridge is shutting down.', { connection: 'close' }));
    // An open event stream is not a call: shutdown waits only for requests that run something.
    const isCall = req.method !== 'GET';
    if (isCall) {
      calls++;
      res.once('close', () => calls--);
    }
    handleMcp(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        if (error.refusal) observer.refused(error.refusal);
        return sendError(res, error);
      }
      logger.error(`HTTP ${req.method} ${MCP_PATH} failed: ${error instanceof Error ? error.message : String(error)}`);
      sendError(res, new HttpError(500, 'Internal error in the bridge; see its log.'));
    });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${urlHost(host)}:${bindPort} (${error.code ?? error.message}); choose another --host or --port`)),
    );
    httpServer.listen(bindPort, host, resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  // Counted once listening, so the budget leaves out what the process already holds; not capped where it cannot be read (off Linux).
  const budget = descriptorBudget();
  if (budget) {
    const cap = connectionCapFor(budget);
    capConnections(httpServer, { cap, limit: budget.limit, logger });
    if (cap < maxSessions)
      logger.info(
        `at most ${cap} client connections at once, fewer than --max-sessions (half the file descriptors left under the limit of ${budget.limit}; raise it with ulimit -n)`,
      );
  }
  const closed = new Promise<void>((resolve) => httpServer.once('close', resolve));
  if (requireToken && !options.requireToken && !oauth)
    logger.info(`${host} is not a loopback address: sessions must bring their own Mastra token (--allow-anonymous lifts this)`);
  logger.info(describePolicy(policy, options.perUserCatalogue));
  if (stateless) logger.info('--stateless: 2025-11-25 requests are served without sessions, each on its own (GET and DELETE answer 405)');

  let closing: Promise<void> | undefined;
  let graceEnds = Infinity;
  const drainAndClose = async () => {
    stopping = true;
    modern.stopListening();
    httpServer.close();
    await until(() => calls === 0, graceEnds);
    if (calls > 0) {
      logger.warn(`the shutdown grace period is over: answering the ${calls} call(s) still running with an error, then closing`);
      // Answered while the sessions are still open, so each client reads why, where a closed socket would only reset.
      modern.stopCalls(STOPPED_MESSAGE);
      await Promise.all([sessions.stopCalls(STOPPED_MESSAGE), stateless?.stopCalls(STOPPED_MESSAGE)]);
      await until(() => calls === 0, Date.now() + FLUSH_MS);
      await new Promise((resolve) => setTimeout(resolve, READ_MS));
    }
    await Promise.all([sessions.closeAll(), modern.close()]);
    // A resolver passed in belongs to whoever passed it, as the task board does (main.ts closes it after this).
    if (!options.callers) callers.close();
    httpServer.closeAllConnections();
    await closed;
  };
  return {
    url: `http://${urlHost(host)}:${port}${MCP_PATH}`,
    port,
    close: ({ graceMs = options.shutdownGraceMs } = {}) => {
      graceEnds = Math.min(graceEnds, Date.now() + graceMs);
      closing ??= drainAndClose();
      return closing;
    },
  };
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
