/** Where a failure happened, so the message can say which agent and which Mastra server. */
export interface FailureContext {
  agentId: string;
  baseUrl: string;
}

const DETAIL_LENGTH = 500;

interface HttpFailure {
  status: number;
  statusText?: string;
  body?: unknown;
  message: string;
}

const isHttpFailure = (error: unknown): error is HttpFailure =>
  error instanceof Error && typeof (error as { status?: unknown }).status === 'number';

/**
 * Mastra's own 404 for an agent it does not have (`{"error":"Agent with id … not found"}`). A bare
 * 404 means no such route (a wrong MASTRA_BASE_URL or path): it says nothing about the agent.
 */
export const isAgentNotFound = (error: unknown): boolean =>
  isHttpFailure(error) && error.status === 404 && /not found/i.test(String((error.body as { error?: unknown } | undefined)?.error ?? ''));

/** Upstream text as it may appear in a result: bounded, so a provider's whole error body is never relayed. */
export const capDetail = (detail: string): string => (detail.length > DETAIL_LENGTH ? `${detail.slice(0, DETAIL_LENGTH)}…` : detail);

/** Mastra's own words for a failure, without client-js's "HTTP error! status: …" wrapper. */
function upstreamDetail(error: HttpFailure): string {
  const body = error.body as { error?: unknown; message?: unknown } | undefined;
  const detail =
    typeof body?.error === 'string'
      ? body.error
      : typeof body?.message === 'string'
        ? body.message
        : error.message.replace(/^HTTP error! status: \d+ - /, '');
  return capDetail(detail);
}

/** The innermost reason of a failed fetch: "connect ECONNREFUSED 127.0.0.1:4111", "getaddrinfo ENOTFOUND …". */
function networkReason(error: Error): string {
  let reason: unknown = error;
  while (reason instanceof Error && reason.cause instanceof Error) reason = reason.cause;
  const inner = reason as Error & { code?: string };
  const aggregate = (inner as { errors?: Error[] }).errors?.[0]?.message;
  return aggregate ?? inner.message ?? inner.code ?? String(reason);
}

/** fetch's own failures ("fetch failed", with a socket or DNS cause), not any TypeError a bug might throw. */
function isNetworkFailure(error: unknown): error is Error {
  if (!(error instanceof Error)) return false;
  if (/fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|other side closed/i.test(error.message)) return true;
  const cause = error.cause as { code?: unknown } | undefined;
  return typeof cause?.code === 'string';
}

/** A message a person (or a calling model) can act on: what failed, where, and what to do next. */
export function describeFailure(error: unknown, { agentId, baseUrl }: FailureContext): string {
  const agent = `agent "${agentId}"`;
  if (isHttpFailure(error)) {
    const status = `HTTP ${error.status}${error.statusText ? ` ${error.statusText}` : ''}`;
    const detail = upstreamDetail(error);
    if (isAgentNotFound(error))
      return `The Mastra server at ${baseUrl} no longer has ${agent} (${status}: ${detail}). The tool list will be refreshed; list the tools again and choose another agent.`;
    // Mastra's words when a threadId is sent without the resource its thread was made with: not a token problem.
    if (error.status === 403 && /different resource/.test(detail))
      return `The Mastra server at ${baseUrl} refused to run ${agent} on that thread (${status}: ${detail}). The thread was created with another resourceId: pass that resourceId together with the threadId (a threadId alone uses itself as the resource), or start a new thread.`;
    if (error.status === 401 || error.status === 403)
      return `The Mastra server at ${baseUrl} refused to run ${agent} (${status}: ${detail}). The Mastra token is missing, expired or not allowed to use this agent: set JWT_TOKEN for stdio, or send "Authorization: Bearer <token>" over HTTP, with a token this Mastra server accepts.`;
    if (error.status >= 500)
      return `The ${agent} failed on the Mastra server at ${baseUrl} (${status}): ${detail}. The agent or its model failed; check the Mastra server's logs, then try again.`;
    return `The Mastra server at ${baseUrl} rejected the call to ${agent} (${status}): ${detail}.`;
  }
  if (isNetworkFailure(error))
    return `Cannot reach the Mastra server at ${baseUrl} to run ${agent}: ${networkReason(error as Error)}. Is Mastra running? Check MASTRA_BASE_URL and network access.`;
  const message = error instanceof Error ? error.message : String(error);
  return `The ${agent} on the Mastra server at ${baseUrl} failed: ${message}`;
}
