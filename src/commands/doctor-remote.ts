import { JSONRPC_VERSION, LATEST_PROTOCOL_VERSION, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import type { Config } from '../config.js';
import { upstreamReason } from '../kernel/errors.js';
import { VERSION } from '../kernel/version.js';
import type { Finding } from './doctor-mastra.js';

/** claude.ai gives up on a connector that has not answered within 10 seconds. */
const FIRST_ANSWER_LIMIT_MS = 10_000;
/** The era the bridge serves beside 2025-11-25: a 2026 client opens with server/discover. */
const MODERN_VERSION = '2026-07-28';

const clientInfo = { name: 'mastra-agents-mcp doctor', version: VERSION };

interface Answer {
  status: number;
  headers: Headers;
  /** The JSON-RPC message, from a JSON body or the first event of an SSE one. */
  message?: { result?: Record<string, unknown>; error?: { message?: string } };
  ms: number;
}

/** One JSON-RPC request, as a remote client sends it without a token; the answer is read whatever its content type. */
async function post(url: string, method: string, params: Record<string, unknown>, headers: Record<string, string>): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: JSONRPC_VERSION, id: 1, method, params }),
    signal: AbortSignal.timeout(FIRST_ANSWER_LIMIT_MS * 3),
  });
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  const json = response.headers.get('content-type')?.includes('text/event-stream') ? /^data: (.*)$/m.exec(text)?.[1] : text;
  let message: Answer['message'];
  try {
    message = json ? JSON.parse(json) : undefined;
  } catch {
    message = undefined;
  }
  // A 2025 session is ended at once: the doctor is no client that stays.
  const session = response.headers.get('mcp-session-id');
  if (session) await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': session } }).catch(() => undefined);
  return { status: response.status, headers: response.headers, message, ms };
}

const discover = (url: string) =>
  post(
    url,
    'server/discover',
    {
      _meta: {
        [PROTOCOL_VERSION_META_KEY]: MODERN_VERSION,
        'io.modelcontextprotocol/clientInfo': clientInfo,
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
    { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': 'server/discover' },
  );

const initialize = (url: string) => post(url, 'initialize', { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo }, {});

/** What one handshake's answer says about a remote client's chances. */
function handshakeFinding(name: string, answer: Answer, config: Config): Finding {
  const timing = `${answer.ms} ms`;
  if (answer.status === 401) {
    const challenge = answer.headers.get('www-authenticate') ?? '';
    return config.oauthIssuer !== undefined && challenge.includes('resource_metadata=')
      ? { level: 'ok', text: `${name} asks a client without a token to sign in (401 with resource_metadata, ${timing})` }
      : { level: 'problem', text: `${name} answers 401 without a resource_metadata challenge: a remote client cannot find where to sign in` };
  }
  if (answer.status === 403)
    return {
      level: 'problem',
      text: `${name} is refused without a token (403): remote clients such as claude.ai send no Mastra token; sign them in with --oauth-issuer, or allow token-less callers (--allow-anonymous with JWT_TOKEN)`,
    };
  if (answer.status !== 200 || !answer.message?.result)
    return { level: 'problem', text: `${name} got HTTP ${answer.status}${answer.message?.error?.message ? `: ${answer.message.error.message}` : ''}` };
  if (answer.ms > FIRST_ANSWER_LIMIT_MS)
    return { level: 'problem', text: `${name} took ${timing}: claude.ai gives up after ${FIRST_ANSWER_LIMIT_MS / 1000} s` };
  return { level: 'ok', text: `${name} answered in ${timing} (claude.ai waits ${FIRST_ANSWER_LIMIT_MS / 1000} s at most)` };
}

/** The protected-resource metadata (RFC 9728) an OAuth client reads first; without --oauth-issuer, there is none to read. */
async function metadataFinding(config: Config, endpoint: string): Promise<Finding> {
  const url = `${config.publicUrl}/.well-known/oauth-protected-resource/mcp`;
  const response = await fetch(url, { signal: AbortSignal.timeout(FIRST_ANSWER_LIMIT_MS) });
  const body = (await response.json().catch(() => undefined)) as { resource?: unknown; authorization_servers?: unknown } | undefined;
  if (config.oauthIssuer === undefined)
    return response.status === 404
      ? { level: 'note', text: 'no OAuth (--oauth-issuer is not set): remote clients are served as token-less callers' }
      : { level: 'note', text: `${url} answers HTTP ${response.status} though --oauth-issuer is not set here: is this the bridge's own configuration?` };
  const servers = Array.isArray(body?.authorization_servers) ? body.authorization_servers.map((s) => String(s).replace(/\/+$/, '')) : [];
  if (response.status !== 200 || body?.resource !== endpoint || !servers.includes(config.oauthIssuer.replace(/\/+$/, '')))
    return {
      level: 'problem',
      text: `${url} (HTTP ${response.status}) must name the resource ${endpoint} and the authorization server ${config.oauthIssuer}: clients will not find where to sign in`,
    };
  return { level: 'ok', text: `the protected-resource metadata names ${endpoint} and ${config.oauthIssuer}` };
}

/** What a remote client (claude.ai, another machine) needs of the bridge at --public-url: https, metadata, both handshakes, a quick first answer. */
export async function checkRemote(config: Config): Promise<Finding[]> {
  const endpoint = `${config.publicUrl}/mcp`;
  const findings: Finding[] = [];
  if (!endpoint.startsWith('https:'))
    findings.push({ level: 'note', text: `${endpoint} is plain http on loopback: clients on this machine only; claude.ai needs a public https:// URL` });
  try {
    findings.push(await metadataFinding(config, endpoint));
    findings.push(handshakeFinding('server/discover (MCP 2026-07-28)', await discover(endpoint), config));
    findings.push(handshakeFinding('initialize (MCP 2025-11-25)', await initialize(endpoint), config));
  } catch (error) {
    findings.push({
      level: 'problem',
      text: `Cannot reach the bridge at ${endpoint} (${upstreamReason(error)}): is it running there, and does that URL reach it?`,
    });
  }
  return findings;
}
