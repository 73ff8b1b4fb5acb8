import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';

/** A full bridge is reported once per episode: again only after this long without being full. */
const QUIET_MS = 60_000;

export interface DescriptorBudget {
  /** The soft limit on open files (RLIMIT_NOFILE); Node raises it to the hard limit as it starts. */
  limit: number;
  /** Descriptors this process has open already. */
  open: number;
}

/** This process's descriptor limit and use, from /proc (Linux); undefined where it cannot be read or there is no limit. */
export function descriptorBudget(): DescriptorBudget | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('Max open files'));
    const limit = Number(line?.split(/\s+/)[3]);
    if (!Number.isSafeInteger(limit)) return undefined;
    return { limit, open: readdirSync('/proc/self/fd').length };
  } catch {
    return undefined;
  }
}

/**
 * Client connections at most: half the descriptors still free. Each connection may need one of the
 * bridge's own at the same time (to Mastra, Redis, the authorization server), and those must never
 * find the table full: a bridge out of descriptors fails every caller's calls and probes at once.
 */
export const connectionCapFor = ({ limit, open }: DescriptorBudget): number => Math.max(1, Math.floor((limit - open) / 2));

/**
 * Caps the server's connections at `cap` (Node's `maxConnections`: one more is closed at once, the
 * `drop` event). A connection that has sent no request holds a descriptor and gives nothing back, and
 * Node never times it out, so when the cap is reached the oldest such connection is closed to make room,
 * as nginx reuses idle connections when it runs out: raw sockets held open cannot lock out probes and
 * callers. Connections with a request (a call, an event stream) are refused only once all are busy.
 */
export function capConnections(server: Server, { cap, limit, logger }: { cap: number; limit: number; logger: Logger }): void {
  server.maxConnections = cap;
  /** Connections with no request yet, oldest first. */
  const fresh = new Set<Socket>();
  let open = 0;
  let fullAt = -Infinity;
  const full = () => {
    const now = Date.now();
    if (now - fullAt > QUIET_MS) {
      logger.warn(
        `${cap} client connections are open, the most this process takes (half the file descriptors left under its limit of ${limit}; raise it with ulimit -n): connections that sent no request are closed first, then new ones are refused until some end`,
      );
    }
    fullAt = now;
  };
  server.on('connection', (socket: Socket) => {
    open++;
    fresh.add(socket);
    socket.once('close', () => {
      open--;
      fresh.delete(socket);
    });
    if (open < cap) return;
    full();
    const oldest = fresh.values().next().value;
    if (oldest && oldest !== socket) {
      fresh.delete(oldest);
      oldest.destroy();
    }
  });
  server.on('request', (req) => fresh.delete(req.socket));
  server.on('drop', full);
}
