import type { JSONRPCErrorResponse, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { JsonRpcCode } from './errors.js';

/**
 * How deep objects and arrays may nest in one JSON-RPC message. Real messages nest a few levels (a
 * requestContext at most 32); a few thousand levels overflow the stack in the SDKs' own recursive steps
 * (the 2026-07-28 front re-serializes each body), which a client must not be able to reach.
 */
export const MAX_MESSAGE_DEPTH = 128;

export const TOO_DEEP_MESSAGE = `Invalid Request: this message nests objects and arrays more than ${MAX_MESSAGE_DEPTH} levels deep, the most the bridge accepts; send flatter values.`;

/**
 * Whether `value` nests objects and arrays more than `limit` levels deep. Iterative, so no depth can
 * overflow it; it costs a fraction of the JSON.parse that made `value` (no copies of keys or values).
 */
export function nestsDeeperThan(value: unknown, limit = MAX_MESSAGE_DEPTH): boolean {
  const pending: unknown[] = [value];
  const depths: number[] = [1];
  const visit = (child: unknown, depth: number) => {
    if (typeof child !== 'object' || child === null) return;
    pending.push(child);
    depths.push(depth);
  };
  while (pending.length > 0) {
    const item = pending.pop();
    const depth = depths.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    if (Array.isArray(item)) for (const child of item) visit(child, depth + 1);
    else for (const key in item) visit((item as Record<string, unknown>)[key], depth + 1);
  }
  return false;
}

/** The JSON-RPC answer to a request nested too deep (stdio, where the request's id is at hand). */
export const tooDeepError = (id: RequestId): JSONRPCErrorResponse => ({
  jsonrpc: '2.0',
  id,
  error: { code: JsonRpcCode.InvalidRequest, message: TOO_DEEP_MESSAGE },
});
