import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname as machineName, networkInterfaces } from 'node:os';
import { asRefusal, HttpError } from '../kernel/errors.js';
import { nestsDeeperThan, TOO_DEEP_MESSAGE } from '../kernel/json-depth.js';

/** Answers in JSON-RPC error form, which MCP clients show to the user. */
export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { jsonrpc: '2.0', error: { code: error.code, message: error.message }, id: null }, error.headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const isWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '[::]';

/** How an address is written in a URL or a Host header: IPv6 in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The Host values a browser-free client uses to reach `bindHost`: the loopback names, the bind
 * address itself, and on a wildcard bind every address and the name of this machine.
 */
export function defaultAllowedHosts(bindHost: string): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]']);
  if (isWildcard(bindHost)) {
    hosts.add(machineName());
    for (const addresses of Object.values(networkInterfaces())) for (const { address } of addresses ?? []) hosts.add(urlHost(address));
  } else {
    hosts.add(urlHost(bindHost));
  }
  return [...hosts];
}

/** `host` or `host:port` as hostname and port ('' when absent); undefined when it is not a valid authority. */
function parseAuthority(authority: string): { hostname: string; port: string } | undefined {
  try {
    const url = new URL(`http://${authority}`);
    if (url.username || url.password || url.pathname !== '/' || url.search) return undefined;
    return { hostname: url.hostname.toLowerCase(), port: url.port };
  } catch {
    return undefined;
  }
}

export interface OriginPolicyOptions {
  /** Host header values accepted; an entry without a port accepts any port. */
  allowedHosts: string[];
  /** Origins accepted exactly. Default: only the request's own origin (Origin host equals Host). */
  allowedOrigins?: string[];
}

/**
 * DNS-rebinding protection. A web page that rebinds its domain to 127.0.0.1 reaches us with its own
 * name in Host, and a page of another site with its own Origin; both are refused. Clients that are
 * not browsers send no Origin.
 */
export function createOriginCheck({ allowedHosts, allowedOrigins }: OriginPolicyOptions): (req: IncomingMessage) => void {
  const hosts = allowedHosts.map((entry) => parseAuthority(entry)).filter((entry) => entry !== undefined);
  const origins = allowedOrigins?.map((origin) => normalOrigin(origin) ?? origin);
  const hostAllowed = (host: string | undefined) => {
    const parsed = host === undefined ? undefined : parseAuthority(host);
    return parsed !== undefined && hosts.some((entry) => entry.hostname === parsed.hostname && (!entry.port || entry.port === parsed.port));
  };
  return (req) => {
    const host = req.headers.host;
    if (!hostAllowed(host)) {
      throw new HttpError(403, `Forbidden: Host "${host ?? ''}" is not allowed; start the bridge with --allowed-hosts to accept it.`);
    }
    const origin = req.headers.origin;
    if (origin === undefined) return;
    const allowed = origins ? origins.includes(normalOrigin(origin) ?? '') : sameOrigin(origin, host!);
    if (!allowed) throw new HttpError(403, `Forbidden: Origin "${origin}" is not allowed; start the bridge with --allowed-origins to accept it.`);
  };
}

function normalOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return /^https?:$/.test(url.protocol) ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function sameOrigin(origin: string, host: string): boolean {
  const normal = normalOrigin(origin);
  return normal !== undefined && new URL(normal).host === new URL(`http://${host}`).host;
}

/** Reads the body as JSON, refusing more than `limit` bytes with 413 before or while reading. */
async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const tooLarge = () =>
    asRefusal('body_too_large', new HttpError(413, `Payload Too Large: request bodies are limited to ${limit} bytes (--max-body).`, { connection: 'close' }));
  if (Number(req.headers['content-length'] ?? 0) > limit) throw tooLarge();
  // Events rather than `for await`: leaving an async iterator early destroys the socket, and the 413 with it.
  const body = await new Promise<Buffer>((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const onData = (part: Buffer) => {
      size += part.length;
      if (size <= limit) return void parts.push(part);
      req.off('data', onData);
      req.resume(); // discard the rest; the answer closes the connection
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(parts)));
    req.once('error', reject);
  });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Parse error: the request body is not valid JSON.', {}, -32700);
  }
}

/** Reads a POST body that must be JSON-RPC: JSON of another shape is -32600 Invalid Request, not a parse error. */
export async function readRpcBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readJsonBody(req, limit);
  const messages = Array.isArray(body) ? body : [body];
  // Checked before anything walks the messages recursively (schemas, the 2026-07-28 front's re-serialization).
  if (messages.some((message) => nestsDeeperThan(message))) throw new HttpError(400, TOO_DEEP_MESSAGE, {}, -32600);
  if (messages.length > 0 && messages.every((message) => JSONRPCMessageSchema.safeParse(message).success)) return body;
  const message = 'Invalid Request: the body is JSON but not a JSON-RPC 2.0 message (a request needs "jsonrpc": "2.0", an "id" and a "method").';
  throw new HttpError(400, message, {}, -32600);
}
