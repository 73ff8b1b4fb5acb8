import type { IncomingHttpHeaders } from 'node:http';

/** The protocol-version key of the per-request `_meta` envelope: only MCP 2026-07-28 (and later) messages carry it. */
const ENVELOPE_CLAIM = 'io.modelcontextprotocol/protocolVersion';

/** A message as it arrives, for the era rule: its parsed JSON-RPC body and, over HTTP, the request's method and headers. */
export interface Arrival {
  /** The parsed message; undefined when there is none or it is not JSON. */
  body: unknown;
  /** HTTP only: the request method (a stdio message counts as a POST). */
  httpMethod?: string;
  /** HTTP only: `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` are read too. */
  headers?: IncomingHttpHeaders;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

const headerOf = (headers: IncomingHttpHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

const isRpcShaped = (body: unknown): boolean => Array.isArray(body) || (isPlainObject(body) && body.jsonrpc === '2.0');

/**
 * The 2025 handshake in its plainest form: an initialize request that claims no envelope, with no
 * protocol header. The SDK routes it to 2025-11-25 too; telling it here spares a 2025 client the
 * v2 SDK's load (about 0.18 s of start-up over stdio).
 */
function isPlainInitialize({ body, headers }: Arrival): boolean {
  if (!isPlainObject(body) || body.jsonrpc !== '2.0' || body.method !== 'initialize') return false;
  if (typeof body.id !== 'string' && !Number.isInteger(body.id)) return false;
  if (body.params !== undefined && !isPlainObject(body.params)) return false;
  const meta = body.params?._meta;
  return !(isPlainObject(meta) && ENVELOPE_CLAIM in meta) && headerOf(headers, 'mcp-protocol-version') === undefined;
}

/**
 * The one rule that tells a 2026-07-28 message from a 2025-11-25 one, for every transport: the v2
 * SDK's own classification (what its handler would route to its modern side), so the bridge and the
 * SDK never disagree. Roughly: a message whose `_meta` claims the envelope, or whose
 * `MCP-Protocol-Version` header names 2026-07-28 or later, is modern; initialize, a message without
 * a claim, a posted response, GET and DELETE, and a body that is not JSON-RPC are 2025's.
 */
export async function isModern(arrival: Arrival): Promise<boolean> {
  if (isPlainInitialize(arrival)) return false;
  const httpMethod = arrival.httpMethod ?? 'POST';
  // What is no JSON-RPC at all is 2025's to refuse, as it always was over stdio (HTTP refuses it before asking).
  if (httpMethod.toUpperCase() === 'POST' && !isRpcShaped(arrival.body)) return false;
  const { classifyInboundRequest } = await import('@modelcontextprotocol/server');
  const outcome = classifyInboundRequest({
    httpMethod,
    body: arrival.body,
    protocolVersionHeader: headerOf(arrival.headers, 'mcp-protocol-version'),
    mcpMethodHeader: headerOf(arrival.headers, 'mcp-method'),
    mcpNameHeader: headerOf(arrival.headers, 'mcp-name'),
  });
  // A rejection is the modern side's to answer: the request claimed that era, in a way it refuses.
  return outcome.kind !== 'legacy';
}
