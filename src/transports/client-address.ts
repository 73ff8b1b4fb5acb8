import type { IncomingMessage } from 'node:http';

/** Who sent a request, as the limit of failed token checks counts callers (identity/failed-checks.ts). */
export type ClientAddress = (req: IncomingMessage) => string | undefined;

/**
 * The TCP peer; or, with `--trust-proxy`, the nearest address in X-Forwarded-For that is not a trusted proxy
 * (proxy-addr, as Express's `trust proxy` reads it), so callers behind one proxy do not share one budget. A client
 * cannot pick its own address by sending the header: only what trusted proxies appended is believed. proxy-addr
 * is loaded only then.
 */
export async function clientAddress(trustProxy: string[] | undefined): Promise<ClientAddress> {
  if (!trustProxy?.length) return (req) => req.socket.remoteAddress;
  const { default: proxyaddr } = await import('proxy-addr');
  const trust = proxyaddr.compile(trustProxy);
  return (req) => proxyaddr(req, trust);
}
