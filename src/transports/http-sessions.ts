import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatDuration } from '../kernel/duration.js';
import { identityOf, SERVICE_IDENTITY } from '../identity/callers.js';
import type { Logger } from '../log.js';
import type { BridgeObserver } from '../kernel/observer.js';
import type { SessionTransport } from './session-transport.js';
import { asRefusal, HttpError } from '../kernel/errors.js';

/** One MCP session over HTTP: its server, its transport, and the identity it was opened with. */
export interface Session {
  id: string;
  server: Server;
  transport: SessionTransport;
  /** The caller's identity (see identity/callers.ts): a hash of the session's token, or 'service'. */
  identity: string;
  lastSeen: number;
  /** Requests of this session in progress; an open GET stream is not one (see `track`). */
  active: number;
  /** Whether work the client will come back for is under way (a running task); never idle meanwhile. */
  busy?: () => boolean;
}

export type TokenCheck = 'ok' | 'missing' | 'wrong';

/** Whether `token` is the one the session was opened with, compared in constant time. */
export function checkToken(session: Session, token: string | undefined): TokenCheck {
  if (session.identity === SERVICE_IDENTITY) return token === undefined ? 'ok' : 'wrong';
  if (token === undefined) return 'missing';
  return timingSafeEqual(Buffer.from(session.identity), Buffer.from(identityOf(token))) ? 'ok' : 'wrong';
}

export interface SessionsOptions {
  /** Sessions (and listen streams) with no request for this long are closed. */
  sessionIdleTimeoutMs: number;
  /** Open sessions and listen streams at most, all identities together. */
  maxSessions: number;
  /** Open sessions and listen streams of one identity at most; token-less ones count as one identity. */
  maxSessionsPerIdentity: number;
  logger: Logger;
  /** Hears each session and listen stream open and close (the open-streams gauges). */
  observer: BridgeObserver;
}

/**
 * The 2026-07-28 `subscriptions/listen` streams of one identity. With no session to belong to, they
 * belong to their caller: any 2026-07-28 request of that identity is the activity that keeps them.
 */
interface Listening {
  /** Ends each stream (its response is destroyed, and its slot is given back when it closes). */
  streams: Set<() => void>;
  lastSeen: number;
  /** 2026-07-28 requests of the identity in progress; its listen streams themselves are not. */
  active: number;
}

/**
 * The open sessions by id and the open listen streams by identity, with the slots both share
 * (overall and per identity) and idle expiry. Every open stream costs a socket, so a caller holds
 * at most its share whichever era it speaks.
 */
export class Sessions {
  private readonly byId = new Map<string, Session>();
  /** Sessions and listen streams of each identity, open or being opened. */
  private readonly perIdentity = new Map<string, number>();
  private opening = 0;
  private readonly listening = new Map<string, Listening>();
  private listenStreams = 0;
  /** What tells the observer each open session has closed. */
  private readonly closings = new Map<string, () => void>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionsOptions) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(options.sessionIdleTimeoutMs / 2, 30_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Session | undefined {
    return this.byId.get(id);
  }

  /**
   * Holds a slot for a session of a verified `identity` while it opens: `add` gives it to the
   * session, which keeps it until it closes; `release` ends the opening (and frees the slot if no
   * session took it). A full bridge answers 503, an identity at its cap 429: one caller's sessions
   * cannot take every slot.
   */
  reserve(identity: string): { add(session: Session): void; release(): void } {
    this.hold(identity);
    this.opening++;
    let state: 'opening' | 'added' | 'done' = 'opening';
    return {
      add: (session) => {
        state = 'added';
        this.byId.set(session.id, session);
        this.closings.set(session.id, this.options.observer.streamOpened('session'));
        this.options.logger.debug(
          `session ${session.id.slice(0, 8)} opened (${identity === SERVICE_IDENTITY ? 'service-level client' : "caller's own token"}); ${this.size} open`,
        );
      },
      release: () => {
        if (state === 'done') return;
        if (state === 'opening') this.unhold(identity);
        state = 'done';
        this.opening--;
      },
    };
  }

  /**
   * Takes a slot of `identity` for a `subscriptions/listen` stream, as `reserve` does for a session
   * (503 or 429 when there is none); `end` ends the stream once its caller is idle. The returned
   * function gives the slot back: call it when the stream closes, however it ends.
   */
  openStream(identity: string, end: () => void): () => void {
    this.hold(identity);
    this.listenStreams++;
    const listening = this.listening.get(identity) ?? { streams: new Set(), lastSeen: 0, active: 0 };
    this.listening.set(identity, listening);
    listening.lastSeen = Date.now();
    listening.streams.add(end);
    const observed = this.options.observer.streamOpened('listen');
    this.options.logger.debug(
      `listen stream opened (${identity === SERVICE_IDENTITY ? 'service-level client' : "caller's own token"}); ${this.listenStreams} open`,
    );
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      observed();
      this.listenStreams--;
      this.unhold(identity);
      listening.streams.delete(end);
      if (listening.streams.size === 0 && this.listening.get(identity) === listening) this.listening.delete(identity);
    };
  }

  /** A 2026-07-28 request of `identity` other than a listen: activity for its listen streams until its answer is complete. */
  trackCaller(identity: string, res: ServerResponse): void {
    const listening = this.listening.get(identity);
    if (!listening) return;
    listening.lastSeen = Date.now();
    listening.active++;
    res.once('close', () => {
      listening.active--;
      listening.lastSeen = Date.now();
    });
  }

  remove(id: string): void {
    const session = this.byId.get(id);
    if (!session) return;
    this.byId.delete(id);
    this.closings.get(id)?.();
    this.closings.delete(id);
    this.unhold(session.identity);
    this.options.logger.debug(`session ${id.slice(0, 8)} closed; ${this.size} open`);
  }

  /**
   * Activity keeps a session open: a request (from its start until its answer is complete), or a
   * running task. Opening the GET stream is a request, but holding it open is not: a client that
   * only listens is idle, so a forgotten or hostile stream cannot keep its session alive forever.
   */
  track(session: Session, req: IncomingMessage, res: ServerResponse): void {
    session.lastSeen = Date.now();
    if (req.method === 'GET') return;
    session.active++;
    res.once('close', () => {
      session.active--;
      session.lastSeen = Date.now();
    });
  }

  /** Answers every call still running in every session with `message` (shutdown). */
  async stopCalls(message: string): Promise<void> {
    await Promise.all([...this.byId.values()].map((session) => session.transport.stopCalls(message)));
  }

  /** Closing the server closes the transport and aborts the session's in-flight handlers. */
  async close(session: Session): Promise<void> {
    this.remove(session.id);
    await session.server.close().catch(() => {});
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.byId.values()].map((session) => this.close(session)));
  }

  /** Counts a new session or stream of `identity`, or refuses it: 503 when the bridge is full, 429 when the identity is. */
  private hold(identity: string): void {
    const { maxSessions, maxSessionsPerIdentity } = this.options;
    if (this.byId.size + this.opening + this.listenStreams >= maxSessions) {
      const message = `Service Unavailable: the bridge has ${maxSessions} open sessions and listen streams, its limit (--max-sessions); try again later.`;
      throw asRefusal('session_cap', new HttpError(503, message, { 'retry-after': '30' }));
    }
    const held = this.perIdentity.get(identity) ?? 0;
    if (held >= maxSessionsPerIdentity) {
      const who = identity === SERVICE_IDENTITY ? 'without a token' : 'with this token';
      const message = `Too Many Requests: ${held} sessions and listen streams ${who} are open, the limit per caller (--max-sessions-per-identity); end unused sessions (DELETE /mcp) and streams, or wait for idle ones to expire.`;
      throw asRefusal('session_cap', new HttpError(429, message, { 'retry-after': '30' }));
    }
    this.perIdentity.set(identity, held + 1);
  }

  private unhold(identity: string): void {
    const held = (this.perIdentity.get(identity) ?? 1) - 1;
    if (held > 0) this.perIdentity.set(identity, held);
    else this.perIdentity.delete(identity);
  }

  private closeIdle(): void {
    const before = Date.now() - this.options.sessionIdleTimeoutMs;
    for (const session of this.byId.values()) {
      // Idle time starts when the last task ends, so its client has the full timeout to collect the result.
      if (session.busy?.()) session.lastSeen = Date.now();
      else if (session.active === 0 && session.lastSeen < before) {
        this.options.logger.debug(`session ${session.id.slice(0, 8)} expired after ${formatDuration(this.options.sessionIdleTimeoutMs)} idle`);
        void this.close(session);
      }
    }
    for (const listening of this.listening.values()) {
      if (listening.active > 0 || listening.lastSeen >= before) continue;
      this.options.logger.debug(
        `${listening.streams.size} listen stream(s) ended after ${formatDuration(this.options.sessionIdleTimeoutMs)} without a request from their caller`,
      );
      for (const end of listening.streams) end();
    }
  }
}
