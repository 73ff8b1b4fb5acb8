import { StreamableHTTPServerTransport, type StreamableHTTPServerTransportOptions } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  isJSONRPCErrorResponse,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { duplicateIdError, InFlightRequests, requestIdsOf } from '../protocol/request-ids.js';
import { sendError, sendJson } from './web-safety.js';
import { HttpError } from '../kernel/errors.js';

/** The answer to a request naming a session that has ended (or never was). */
export const sessionNotFound = (): HttpError => new HttpError(404, 'Session not found: it ended or expired; start a new session with initialize.');

/**
 * The id of a lone request after which nothing but its answer can follow: it asks for no progress,
 * starts no task, and is not tasks/result (which relays a task's messages). Undefined otherwise.
 */
export function plainRequestId(body: unknown, callsMayAsk = false): RequestId | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { id, method, params } = body as { id?: unknown; method?: unknown; params?: { _meta?: { progressToken?: unknown }; task?: unknown } };
  if ((typeof id !== 'string' && typeof id !== 'number') || typeof method !== 'string') return undefined;
  if (method === 'initialize' || method === 'tasks/result') return undefined;
  // A call may ask the person something (elicitation/create), which only the call's own event stream can carry.
  if (callsMayAsk && method === 'tools/call') return undefined;
  if (typeof params === 'object' && params !== null && (params._meta?.progressToken !== undefined || params.task !== undefined)) return undefined;
  return id;
}

/**
 * One HTTP session's transport. A plain request (see plainRequestId) is answered with one JSON body:
 * an event stream would carry just that answer, and costs both ends more (the client parses SSE
 * through web streams; the server flushes headers early and writes twice). Everything else (progress,
 * tasks, the GET stream, DELETE) goes to the session's streaming transport as before.
 */
export class SessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  private readonly streaming: StreamableHTTPServerTransport;
  /** Plain requests waiting for their answer, each with the one-request transport that will send it. */
  private readonly plain = new Map<RequestId, StreamableHTTPServerTransport>();
  /** Set once the session ends; its server is disconnected, so nothing may reach it any more. */
  private ended = false;
  private readonly inFlight = new InFlightRequests();
  /** Requests answered by `stopCalls`: their handler's own late answer has nowhere to go. */
  private readonly stopped = new Set<RequestId>();

  /** `callsMayAsk`: whether this session's client can be asked during a call (it declared elicitation). Default: never. */
  constructor(
    options: StreamableHTTPServerTransportOptions,
    private readonly callsMayAsk: () => boolean = () => false,
  ) {
    this.streaming = this.relay(new StreamableHTTPServerTransport(options));
    this.streaming.onclose = () => this.closed();
  }

  get sessionId(): string | undefined {
    return this.streaming.sessionId;
  }

  start(): Promise<void> {
    return this.streaming.start();
  }

  close(): Promise<void> {
    return this.streaming.close();
  }

  /** The caller has checked the session and its token already; `body` is the parsed POST body. */
  async handleRequest(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    // A request that raced the session's end (e.g. its body arrived after a DELETE) would otherwise run
    // the agent on a server with no transport, and never be answered.
    if (this.ended) return sendError(res, sessionNotFound());
    if (req.method === 'POST') {
      const reused = this.inFlight.claim(body);
      if (reused !== undefined) return sendJson(res, 400, duplicateIdError(reused));
      const ids = requestIdsOf(body);
      res.once('close', () => this.inFlight.releaseUndelivered(ids));
    }
    const id = req.method === 'POST' && this.sessionId !== undefined ? plainRequestId(body, this.callsMayAsk()) : undefined;
    if (id === undefined) return this.streaming.handleRequest(req, res, body);
    // Without a session id of its own it takes any request (the session is checked above) and answers just one.
    const oneRequest = this.relay(new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true }));
    this.plain.set(id, oneRequest);
    try {
      await oneRequest.handleRequest(req, res, body);
    } finally {
      this.plain.delete(id);
    }
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const answers = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message) ? message.id : undefined;
    if (answers !== undefined && this.stopped.delete(answers)) return Promise.resolve();
    this.inFlight.answered(message);
    return this.route(message, options);
  }

  private route(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const id = isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message) ? message.id : options?.relatedRequestId;
    return ((id !== undefined && this.plain.get(id)) || this.streaming).send(message, options);
  }

  /**
   * Answers every request still running with a JSON-RPC error, on its own stream, while the session
   * is still open: on shutdown, a client then hears why its call ended instead of a reset connection.
   */
  async stopCalls(message: string): Promise<void> {
    await Promise.all(
      this.inFlight.running.map((id) => {
        const answer = { jsonrpc: '2.0' as const, id, error: { code: ErrorCode.ConnectionClosed, message } };
        this.inFlight.answered(answer);
        this.stopped.add(id);
        return this.route(answer).catch(() => {});
      }),
    );
  }

  private relay(transport: StreamableHTTPServerTransport): StreamableHTTPServerTransport {
    transport.onmessage = (message, extra) => {
      if (this.ended) return;
      this.inFlight.delivered(message);
      this.onmessage?.(message, extra);
    };
    transport.onerror = (error) => this.onerror?.(error);
    return transport;
  }

  /** A plain request still waiting when the session ends gets an error, where a stream would just have ended. */
  private closed(): void {
    this.ended = true;
    for (const [id, transport] of this.plain) {
      const error = { code: ErrorCode.ConnectionClosed, message: 'Session closed before the call finished; start a new session and call again.' };
      // Closing it too answers 404 to a request it had not yet taken in (whose error above had nowhere to go).
      transport
        .send({ jsonrpc: '2.0', id, error })
        .catch(() => {})
        .finally(() => void transport.close());
    }
    this.onclose?.();
  }
}
