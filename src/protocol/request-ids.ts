import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import { nestsDeeperThan, TOO_DEEP_MESSAGE, tooDeepError } from '../kernel/json-depth.js';

const messagesOf = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]);

/** The JSON-RPC answer to a request that reuses the id of one still running in the same session. */
export function duplicateIdError(id: RequestId): JSONRPCErrorResponse {
  const message = `Invalid Request: id ${JSON.stringify(id)} is already used by a request still in progress in this session; give each request its own id.`;
  return { jsonrpc: '2.0', id, error: { code: -32600, message } };
}

/** The request ids of a message or a batch. */
export const requestIdsOf = (body: unknown): RequestId[] => messagesOf(body).flatMap((message) => (isJSONRPCRequest(message) ? [message.id] : []));

/**
 * The ids of a session's requests that have not been answered yet. The SDK keys a request's answer,
 * its stream and its abort controller by id, so a second request with the same id would take the
 * first one's answer (or its cancellation): such a request is refused before it goes any further.
 */
export class InFlightRequests {
  /** `false` until the request reaches the server: its transport may still refuse it. */
  private readonly ids = new Map<RequestId, boolean>();

  /** Takes every request id of `body` (a message or a batch); returns a reused id instead, taking none. */
  claim(body: unknown): RequestId | undefined {
    const ids = requestIdsOf(body);
    const seen = new Set<RequestId>();
    for (const id of ids) {
      if (this.ids.has(id) || seen.has(id)) return id;
      seen.add(id);
    }
    for (const id of ids) this.ids.set(id, false);
    return undefined;
  }

  /** The server got this message: its request will be answered, or cancelled. */
  delivered(message: JSONRPCMessage): void {
    if (isJSONRPCRequest(message) && this.ids.has(message.id)) this.ids.set(message.id, true);
    else if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      // The SDK sends no answer to a cancelled request.
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      if (requestId !== undefined) this.ids.delete(requestId);
    }
  }

  /** Gives back those of `ids` that never reached the server (its transport refused the request). */
  releaseUndelivered(ids: Iterable<RequestId>): void {
    for (const id of ids) if (this.ids.get(id) === false) this.ids.delete(id);
  }

  /** An answer on its way out frees its id. */
  answered(message: JSONRPCMessage): void {
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) this.ids.delete(message.id);
  }

  /** Requests the server is working on. */
  get running(): RequestId[] {
    return [...this.ids].flatMap(([id, reached]) => (reached ? [id] : []));
  }
}

/**
 * A stdio connection carries one stream of requests in either era, so a reused id would cross answers
 * as it would in an HTTP session: it is refused here too, and so is a message nested too deep, as HTTP
 * refuses it. It wraps the v1 SDK's stdio transport (2025-11-25) and the v2 SDK's (2026-07-28, whose
 * serveStdio also sets the protocol version on it).
 */
export class OneAnswerPerId implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly inFlight = new InFlightRequests();

  constructor(private readonly inner: Transport & { setProtocolVersion?(version: string): void }) {
    inner.onmessage = (message, extra) => {
      if (nestsDeeperThan(message)) {
        if (isJSONRPCRequest(message)) return void inner.send(tooDeepError(message.id)).catch((error: Error) => this.onerror?.(error));
        return this.onerror?.(new Error(`dropped a message with no id to answer: ${TOO_DEEP_MESSAGE}`));
      }
      const reused = this.inFlight.claim(message);
      if (reused !== undefined) return void inner.send(duplicateIdError(reused)).catch((error: Error) => this.onerror?.(error));
      this.inFlight.delivered(message);
      this.onmessage?.(message, extra);
    };
    inner.onclose = () => this.onclose?.();
    inner.onerror = (error) => this.onerror?.(error);
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    this.inFlight.answered(message);
    return this.inner.send(message, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version);
  }
}
