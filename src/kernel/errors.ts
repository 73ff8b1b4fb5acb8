import type { RefusalReason } from './observer.js';
import type { Failure } from './results.js';

/** Where a failure happened, so the message can say which agent and which Mastra server. */
export interface FailureContext {
  agentId: string;
  baseUrl: string;
  /** What ran, when not an agent: e.g. `workflow "greet"`; the texts then name it instead. */
  subject?: string;
}

const DETAIL_LENGTH = 500;

interface HttpFailure {
  status: number;
  statusText?: string;
  body?: unknown;
  message: string;
}

const isHttpFailure = (error: unknown): error is HttpFailure => error instanceof Error && typeof (error as { status?: unknown }).status === 'number';

/**
 * Mastra's own 404 for an agent it does not have (`{"error":"Agent with id … not found"}`). A bare
 * 404 means no such route (a wrong MASTRA_BASE_URL or path): it says nothing about the agent.
 */
export const isAgentNotFound = (error: unknown): boolean =>
  isHttpFailure(error) && error.status === 404 && /not found/i.test(String((error.body as { error?: unknown } | undefined)?.error ?? ''));

/** Upstream text as it may appear in a result: bounded, so a provider's whole error body is never relayed. */
export const capDetail = (detail: string): string => (detail.length > DETAIL_LENGTH ? `${detail.slice(0, DETAIL_LENGTH)}…` : detail);

/**
 * The keys of the error bodies Mastra writes itself (@mastra/hono's route adapter and @mastra/server's
 * handlers): `{error}`, `{error, message}` (auth, permissions), `{error, issues: [{field, message}]}`
 * (validation), `{error, cause: {failingItems}}`, and `{error: {code, message, …}}` (a model not allowed).
 */
const MASTRA_ERROR_KEYS = new Set(['error', 'message', 'issues', 'cause']);

/** Mastra's own words from an error body, or undefined when the body is not one Mastra writes. */
function mastraWords(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  if (!Object.keys(body).every((key) => MASTRA_ERROR_KEYS.has(key))) return undefined;
  const { error, message, issues } = body as { error?: unknown; message?: unknown; issues?: unknown };
  const inner = error && typeof error === 'object' ? (error as { message?: unknown }).message : undefined;
  let words = typeof error === 'string' ? error : typeof inner === 'string' ? inner : undefined;
  if (words === undefined) return undefined;
  if (typeof message === 'string' && message !== words) words += `: ${message}`;
  const fields = Array.isArray(issues)
    ? issues.flatMap((i: { field?: unknown; message?: unknown }) =>
        typeof i?.field === 'string' && typeof i.message === 'string' ? [`${i.field}: ${i.message}`] : [],
      )
    : [];
  return fields.length ? `${words} (${fields.join('; ')})` : words;
}

/**
 * What Mastra said, or what kind of body came instead. A body Mastra did not write (an HTML error
 * page, a proxy's text, a stack trace, unknown JSON) may hold paths, keys or prompts: it is only
 * measured, never quoted. client-js keeps the raw body only inside its message, after this prefix.
 */
function upstreamDetail(error: HttpFailure): { words: string } | { body: string } {
  const words = mastraWords(error.body);
  if (words !== undefined) return { words: capDetail(words) };
  const raw = error.message.replace(/^HTTP error! status: \d+( - )?/, '');
  const bytes = Buffer.byteLength(raw);
  if (bytes === 0) return { body: 'an empty body' };
  return { body: error.body === undefined ? `a non-JSON body (${bytes} bytes)` : `a JSON body Mastra did not write (${bytes} bytes)` };
}

/** OpenSSL's codes when an https:// request is answered in plain HTTP (its first bytes read as a TLS record). */
const PLAIN_HTTP_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);
const PLAIN_HTTP_REASONS = /:(wrong version number|packet length too long|http request):/;

/** Whether a request to an https:// URL reached a server that speaks plain HTTP. */
function isPlainHttpAnswer(error: unknown): boolean {
  for (let reason = error; reason instanceof Error; reason = reason.cause) {
    const code = String((reason as { code?: unknown }).code);
    if (PLAIN_HTTP_CODES.has(code)) return true;
    // node:https fails the request's write, with OpenSSL's reason in the message only.
    if (code === 'EPROTO' && PLAIN_HTTP_REASONS.test(reason.message)) return true;
  }
  return false;
}

/**
 * A 2xx answer that is not JSON: client-js's `response.json()` failed, so what answered is a web page
 * or another service, not Mastra. JSON.parse's message quotes the body: it is never shown.
 */
const isNotJson = (error: unknown): boolean => error instanceof SyntaxError;

/**
 * What to do when MASTRA_BASE_URL names something else than Mastra's API, as a sentence; undefined
 * when the failure says nothing of it. For log lines and results alike.
 */
export function wrongUpstream(error: unknown, baseUrl: string): string | undefined {
  if (isPlainHttpAnswer(error)) return `It speaks plain HTTP, not HTTPS: use ${baseUrl.replace(/^https:/i, 'http:')} as MASTRA_BASE_URL.`;
  if (isNotJson(error))
    return "A web page or another service answered, so this is not Mastra's API: point MASTRA_BASE_URL at the Mastra server (`mastra dev` listens on http://localhost:4111).";
  return undefined;
}

/** Who answered a refusal: Mastra writes its own error bodies; any other body comes from something in front of it (a proxy, a gateway). */
export const refusedBy = (error: unknown): string =>
  isHttpFailure(error) && mastraWords(error.body) !== undefined
    ? 'Mastra'
    : 'Something in front of Mastra (a proxy or gateway: its answer is not one Mastra writes)';

/**
 * An upstream failure in a few words for a log line: Mastra's own error words, or what kind of body
 * came instead (never the body), else the error's message with its causes.
 */
export function upstreamReason(error: unknown): string {
  if (isHttpFailure(error)) {
    const detail = upstreamDetail(error);
    return 'words' in detail ? `HTTP ${error.status}: ${detail.words}` : `HTTP ${error.status} with ${detail.body}`;
  }
  if (isPlainHttpAnswer(error)) return 'the TLS handshake failed';
  if (isNotJson(error)) return 'the answer is not JSON';
  if (!(error instanceof Error)) return String(error);
  let reason = error.message;
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause) reason += `: ${cause.message}`;
  return reason;
}

/** The innermost reason of a failed fetch: "connect ECONNREFUSED 127.0.0.1:4111", "getaddrinfo ENOTFOUND …". */
function networkReason(error: Error): string {
  let reason: unknown = error;
  while (reason instanceof Error && reason.cause instanceof Error) reason = reason.cause;
  const inner = reason as Error & { code?: string };
  const aggregate = (inner as { errors?: Error[] }).errors?.[0]?.message;
  // OpenSSL's messages end in a line break; a result is read as one line.
  return (aggregate ?? inner.message ?? inner.code ?? String(reason)).replace(/\s+/g, ' ').trim();
}

/** fetch's own failures ("fetch failed", with a socket or DNS cause), not any TypeError a bug might throw. */
function isNetworkFailure(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (/fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|other side closed/i.test(error.message)) return true;
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string';
}

/** A message a person (or a calling model) can act on: what failed, where, and what to do next; and its kind. */
export function describeFailure(error: unknown, { agentId, baseUrl, subject }: FailureContext): Failure {
  const agent = subject ?? `agent "${agentId}"`;
  const culprit = subject ? 'It' : 'The agent or its model';
  if (isHttpFailure(error)) {
    const status = `HTTP ${error.status}${error.statusText ? ` ${error.statusText}` : ''}`;
    const detail = upstreamDetail(error);
    const tokenHint =
      'The Mastra token is missing, expired or not allowed to use this agent: set JWT_TOKEN for stdio, or send "Authorization: Bearer <token>" over HTTP, with a token this Mastra server accepts.';
    if ('body' in detail) {
      const hint =
        error.status === 401 || error.status === 403
          ? ` ${tokenHint}`
          : error.status >= 500
            ? ' Then try again.'
            : ' Check MASTRA_BASE_URL: it should name the Mastra server itself.';
      return {
        text: `The call to ${agent} failed: Mastra at ${baseUrl} answered HTTP ${error.status} with ${detail.body}; see its logs.${hint}`,
        kind: 'upstream_error',
      };
    }
    const { words } = detail;
    if (isAgentNotFound(error))
      return {
        text: `The Mastra server at ${baseUrl} no longer has ${agent} (${status}: ${words}). The tool list will be refreshed; list the tools again and choose another ${subject ? 'tool' : 'agent'}.`,
        kind: 'gone',
      };
    // Mastra's words when a threadId is sent without the resource its thread was made with: not a token problem.
    if (error.status === 403 && /different resource/.test(words))
      return {
        text: `The Mastra server at ${baseUrl} refused to run ${agent} on that thread (${status}: ${words}). The thread was created with another resourceId: pass that resourceId together with the threadId (a threadId alone uses itself as the resource), or start a new thread.`,
        kind: 'refused',
      };
    if (error.status === 401 || error.status === 403)
      return { text: `The Mastra server at ${baseUrl} refused to run ${agent} (${status}: ${words}). ${tokenHint}`, kind: 'refused' };
    // Mastra's words for an approval answered twice (a replayed retry) or a paused run that has ended.
    if (/could not find a suspended run/.test(words))
      return {
        text: `The paused run of ${agent} on the Mastra server at ${baseUrl} is no longer waiting for an answer: it was answered already, or it ended. Call the tool again to start a new run.`,
        kind: 'gone',
      };
    if (error.status >= 500)
      return {
        text: `The ${agent} failed on the Mastra server at ${baseUrl} (${status}): ${words}. ${culprit} failed; check the Mastra server's logs, then try again.`,
        kind: 'upstream_error',
      };
    return { text: `The Mastra server at ${baseUrl} rejected the call to ${agent} (${status}): ${words}.`, kind: 'refused' };
  }
  const wrong = wrongUpstream(error, baseUrl);
  if (wrong) return { text: `The call to ${agent} failed at ${baseUrl}: ${upstreamReason(error)}. ${wrong}`, kind: 'upstream_error' };
  if (isNetworkFailure(error))
    return {
      text: `Cannot reach the Mastra server at ${baseUrl} to run ${agent}: ${networkReason(error as Error)}. Is Mastra running? Check MASTRA_BASE_URL and network access.`,
      kind: 'unreachable',
    };
  // Anything else failed here, before or while sending the request: it is not Mastra's fault.
  const message = error instanceof Error ? error.message : String(error);
  return {
    text: `The bridge could not run ${agent} (${capDetail(message)}); the Mastra server at ${baseUrl} is not at fault. Check the call's arguments, then try again.`,
    kind: 'tool_error',
  };
}

/**
 * A run whose stream from Mastra stopped before the run said it ended: no answer, whatever came so far.
 * `subject` names the run (`the agent "echo"`); `detail` adds what is known, e.g. how much it wrote.
 */
export const streamEndedEarly = (baseUrl: string, subject: string, detail = ''): string =>
  `The stream from the Mastra server at ${baseUrl} ended before ${subject} finished${detail}. Mastra may have restarted or the connection dropped; try again.`;

/**
 * A JSON-RPC error sent with its message as written. The SDK's McpError puts "MCP error <code>: "
 * in front of its message, and the client's McpError does it again.
 */
export class RequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request refused before it reaches MCP: the status and a message safe to show (never a token). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** The JSON-RPC error code: -32000 (server error) unless the request itself was malformed. */
    readonly code = -32000,
  ) {
    super(message);
  }

  /** Why the request was refused before anything ran (the refusals metric), when it was; set with `asRefusal`. */
  refusal?: RefusalReason;
}

/** Marks an HTTP error as a refusal of `reason`, which the transport counts as it answers. */
export function asRefusal(reason: RefusalReason, error: HttpError): HttpError {
  error.refusal = reason;
  return error;
}

/** The JSON-RPC error codes the bridge answers with, the same in both eras and both SDKs. */
export const JsonRpcCode = { ConnectionClosed: -32000, InvalidRequest: -32600, InvalidParams: -32602, InternalError: -32603 } as const;
