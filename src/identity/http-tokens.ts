import type { IncomingMessage } from 'node:http';
import { upstreamReason } from '../kernel/errors.js';
import { asRefusal, HttpError } from '../kernel/errors.js';

/** Where an OAuth client learns how to sign in: the bridge's RFC 9728 metadata document. */
export interface OAuthChallenge {
  resourceMetadataUrl: string;
}

export type OAuthError = 'invalid_token' | 'insufficient_scope';

/**
 * A request whose token is missing, malformed or refused. In Mastra-token mode it is 403, not 401,
 * on purpose: MCP clients (the Inspector, Claude, Cursor) answer any 401 by starting an OAuth flow,
 * which cannot work with Mastra tokens and hides the reason given here. In OAuth mode (`oauth`
 * given) it is the RFC 6750 challenge that starts that flow: 401 with
 * `WWW-Authenticate: Bearer resource_metadata="…"`, or 403 for a token lacking `scope`.
 */
export function tokenRefused(reason: string, oauth?: OAuthChallenge, error?: OAuthError, scope?: string): HttpError {
  return asRefusal('token_refused', tokenRefusal(reason, oauth, error, scope));
}

function tokenRefusal(reason: string, oauth?: OAuthChallenge, error?: OAuthError, scope?: string): HttpError {
  if (!oauth) return new HttpError(403, `Forbidden: ${reason}. Send "Authorization: Bearer <your Mastra token>" with a token the Mastra server accepts.`);
  const params = [`resource_metadata="${oauth.resourceMetadataUrl}"`];
  if (error) params.push(`error="${error}"`);
  if (scope) params.push(`scope="${scope}"`);
  const challenge = { 'www-authenticate': `Bearer ${params.join(', ')}` };
  if (error === 'insufficient_scope') return new HttpError(403, `Forbidden: ${reason}. Sign in again granting the scopes ${scope}.`, challenge);
  return new HttpError(401, `Unauthorized: ${reason}. Sign in through the authorization server named in ${oauth.resourceMetadataUrl}.`, challenge);
}

/**
 * The caller's token from `Authorization: Bearer <token>`: undefined when there is no such
 * header. Any other form of the header is refused rather than silently ignored.
 */
export function bearerToken(req: IncomingMessage, oauth?: OAuthChallenge): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined || header === '') return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw tokenRefused(`the Authorization header must be "Bearer <${oauth ? 'access' : 'Mastra'} token>"`, oauth, 'invalid_token');
  return match[1];
}

const statusOf = (error: unknown): number | undefined => {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
};

/**
 * What a failed token check means for the caller: Mastra refused the token (403), Mastra answered
 * something else (502), or Mastra could not be asked (503). Only the last two say "try again".
 */
export function checkFailure(error: unknown, baseUrl: string): { refused: boolean; error: HttpError } {
  const status = statusOf(error);
  if (status === 401 || status === 403) {
    return { refused: true, error: tokenRefused(`the Mastra server refused this token (${upstreamReason(error)})`) };
  }
  if (status !== undefined) {
    const message = `Bad Gateway: the Mastra server at ${baseUrl} answered HTTP ${status} to the token check (listing the agents); check MASTRA_BASE_URL and Mastra's logs.`;
    return { refused: false, error: new HttpError(502, message) };
  }
  const message = `Service Unavailable: cannot check the token with the Mastra server at ${baseUrl} (${upstreamReason(error)}); try again once Mastra answers.`;
  return { refused: false, error: new HttpError(503, message, { 'retry-after': '5' }) };
}
