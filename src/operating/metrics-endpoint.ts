import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether the request brings `Bearer <token>`, compared in constant time (digests of equal length). */
function authorized(req: IncomingMessage, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * GET /metrics: the registry in Prometheus' text format; with `token` (MCP_METRICS_TOKEN) set, only for
 * `Authorization: Bearer <token>`, else 401. The answer never names the token.
 */
export function metricsEndpoint(registry: Registry, token: string | undefined): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (token !== undefined && !authorized(req, token)) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' });
      res.end('Unauthorized: /metrics needs "Authorization: Bearer <MCP_METRICS_TOKEN>".\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
      () => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('Internal error while collecting the metrics.\n');
      },
    );
  };
}

/** /metrics on a port of its own (`--metrics-port`): the only way beside stdio. Everything else there is 404. */
export async function serveMetrics(
  endpoint: (req: IncomingMessage, res: ServerResponse) => void,
  { host, port }: { host: string; port: number },
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '/').split('?')[0] === '/metrics') return endpoint(req, res);
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Not found: this port serves GET /metrics only.\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot serve metrics on ${host}:${port} (${error.code ?? error.message}); choose another --metrics-port`)),
    );
    server.listen(port, host, resolve);
  });
  server.unref();
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
