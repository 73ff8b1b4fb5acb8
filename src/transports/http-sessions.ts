import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { SessionTransport } from './session-transport.js';

/** One MCP session over HTTP: its server, its transport, and the token it was opened with. */
export interface Session {
  id: string;
  server: Server;
  transport: SessionTransport;
  /** SHA-256 of the session's token; null for a session that uses the service-level client. */
  tokenHash: Buffer | null;
  lastSeen: number;
  /** Requests of this session in progress (a call, or an open event stream). */
  active: number;
  /** Whether work the client will come back for is under way (a running task); never idle meanwhile. */
  busy?: () => boolean;
}

export type TokenCheck = 'ok' | 'missing' | 'wrong';

/** Only a hash is kept, so a heap dump or a stray log of a session never holds the token itself. */
export const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

/** Whether `token` is the one the session was opened with, compared in constant time. */
export function checkToken(session: Session, token: string | undefined): TokenCheck {
  if (session.tokenHash === null) return token === undefined ? 'ok' : 'wrong';
  if (token === undefined) return 'missing';
  return timingSafeEqual(session.tokenHash, hashToken(token)) ? 'ok' : 'wrong';
}

export interface SessionsOptions {
  /** Sessions with no request for this long are closed. */
  idleTimeoutMs: number;
  logger: Logger;
}

/** The open sessions by id, with idle expiry. */
export class Sessions {
  private readonly byId = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionsOptions) {
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(options.idleTimeoutMs / 2, 30_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: string): Session | undefined {
    return this.byId.get(id);
  }

  add(session: Session): void {
    this.byId.set(session.id, session);
    this.options.logger.debug(`session ${session.id.slice(0, 8)} opened (${session.tokenHash ? "caller's own token" : 'service-level client'}); ${this.size} open`);
  }

  remove(id: string): void {
    if (this.byId.delete(id)) this.options.logger.debug(`session ${id.slice(0, 8)} closed; ${this.size} open`);
  }

  /** Counts one request of `session` until its response closes; a session is never idle meanwhile. */
  track(session: Session, res: ServerResponse): void {
    session.active++;
    session.lastSeen = Date.now();
    res.once('close', () => {
      session.active--;
      session.lastSeen = Date.now();
    });
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

  private closeIdle(): void {
    const before = Date.now() - this.options.idleTimeoutMs;
    for (const session of this.byId.values()) {
      // Idle time starts when the last task ends, so its client has the full timeout to collect the result.
      if (session.busy?.()) session.lastSeen = Date.now();
      else if (session.active === 0 && session.lastSeen < before) {
        this.options.logger.debug(`session ${session.id.slice(0, 8)} expired after ${this.options.idleTimeoutMs / 1000}s idle`);
        void this.close(session);
      }
    }
  }
}
