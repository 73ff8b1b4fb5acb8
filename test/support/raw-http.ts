import type { RawClientDispatch } from '@modelcontextprotocol/ext-tasks/client';
import { request as httpRequest } from 'node:http';
import { MODERN_VERSION } from './mcp-clients.js';
import { INITIALIZE_PARAMS, modernEnvelope, type RawMessage } from './raw-stdio.js';

/** Requests an SDK client would never send, or sends in a way a test must see: raw JSON-RPC over HTTP. */

export const initializeRequest = { jsonrpc: '2.0', id: 1, method: 'initialize', params: INITIALIZE_PARAMS };

/** The tasks extension, as a 2026-07-28 client declares it in its request's capabilities. */
export const TASKS_CAPABILITY = { extensions: { 'io.modelcontextprotocol/tasks': {} } };

/** A raw 2025-11-25 JSON-RPC POST to /mcp. */
export async function postRpc(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * The same POST from a socket bound to `localAddress` (any of 127.0.0.0/8 on Linux), as a client at that address
 * would send it; fetch cannot choose its source address. Resolves with the status once the answer's headers came.
 */
export function postRpcFrom(localAddress: string, url: string, body: unknown, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.once('error', reject);
    request.end(JSON.stringify(body));
  });
}

/** The headers a conforming 2026-07-28 client sends with a request. */
export const modernHeaders = (method: string, name: string | undefined, token?: string): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  'mcp-protocol-version': MODERN_VERSION,
  'mcp-method': method,
  ...(name === undefined ? {} : { 'mcp-name': name }),
});

export interface ModernPost {
  token?: string;
  /** The client's capabilities in the envelope (the tasks extension, elicitation). */
  capabilities?: Record<string, unknown>;
  /** Headers over the conforming ones, to send what a conforming client would not. */
  headers?: Record<string, string>;
  /** Replaces the envelope (`{}`: none). */
  meta?: Record<string, unknown>;
}

/** A raw 2026-07-28 request framed as a conforming client frames it. */
export function postModern(url: string, method: string, params: Record<string, unknown> = {}, options: ModernPost = {}): Promise<Response> {
  const name = typeof params.name === 'string' ? params.name : typeof params.taskId === 'string' ? params.taskId : undefined;
  return fetch(url, {
    method: 'POST',
    headers: { ...modernHeaders(method, name, options.token), ...options.headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: options.meta ?? modernEnvelope(options.capabilities) } }),
  });
}

/** The message answering a request's id, from a JSON body or an event stream. */
export async function answerOf(response: Response): Promise<RawMessage> {
  const text = await response.text();
  const messages = response.headers.get('content-type')?.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as RawMessage)
    : [JSON.parse(text) as RawMessage];
  return messages.find((message) => message.id !== undefined) ?? messages[0]!;
}

/**
 * A raw 2026-07-28 request of a client that declares the tasks extension (the v2 client has no task methods
 * of its own) and any other `capabilities` (elicitation, for a task that asks); answers its message.
 */
export async function postModernTasks(
  url: string,
  method: string,
  params: Record<string, unknown>,
  token?: string,
  capabilities: Record<string, unknown> = {},
): Promise<RawMessage> {
  return answerOf(await postModern(url, method, params, { token, capabilities: { ...capabilities, ...TASKS_CAPABILITY } }));
}

/**
 * What ext-tasks asks of its host for a 2026-07-28 task server: send the framed request itself (the SDK
 * client's codec refuses task wire shapes), with the headers the spec requires.
 */
export const rawDispatch = (url: string, token?: string): RawClientDispatch => {
  let id = 0;
  return async (request, options) => {
    const { method, params } = request as { method: string; params: { name?: string } };
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...modernHeaders(method, method === 'tools/call' ? params.name : undefined, token), ...options?.context?.headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      signal: options?.signal,
    });
    const answer = await answerOf(response);
    return answer.error ? { kind: 'error', error: answer.error as never } : { kind: 'result', result: answer.result as never };
  };
};
