import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttpClientTransport,
  type ClientOptions as ModernClientOptions,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema, type CallToolResult, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Stream } from 'node:stream';
import type { Elicit } from './person.js';

/** `legacy`: MCP 2025-11-25 through the v1 SDK client; `modern`: 2026-07-28 through the v2 client pinned to it. */
export type Era = 'legacy' | 'modern';
export const ERAS: Era[] = ['legacy', 'modern'];
export const MODERN_VERSION = '2026-07-28';
/** How test names say each era. */
export const ERA_NAMES = { legacy: '2025-11-25', modern: MODERN_VERSION } as const;
/** Each era with its name, for `describe.each(...)('… $name', ({ era }) => …)`. */
export const ERA_CASES = ERAS.map((era) => ({ era, name: ERA_NAMES[era] }));

/** What the shared test bodies ask of a client, in the v1 SDK's call shape; 2026-07-28 clients are adapted to it. */
export type BridgeClient = Pick<Client, 'listTools' | 'callTool' | 'close'>;

export const textOf = (result: unknown): string =>
  ((result as CallToolResult | undefined)?.content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('');

/** A v2 SDK client that speaks only 2026-07-28: connect fails unless server/discover offers it. */
export const modernClient = (name = 'test', options: ModernClientOptions = {}): ModernClient =>
  new ModernClient({ name, version: '1.0.0' }, { ...options, versionNegotiation: { mode: { pin: MODERN_VERSION } } });

/** The v2 client in the v1 call shape of the shared test bodies (`callTool(params, schema, options)`). */
export function asBridgeClient(client: ModernClient): BridgeClient {
  return {
    listTools: (params, options) => client.listTools(params, options) as never,
    callTool: (params, _schema, options) => client.callTool(params as never, options as never) as never,
    close: () => client.close(),
  };
}

export interface ClientOptions {
  /** Default legacy. */
  era?: Era;
  /** Sent as `Authorization: Bearer` with every HTTP request. */
  token?: string;
  /** The client declares elicitation and answers each question with this. */
  elicit?: Elicit;
  name?: string;
}

/** Where the client connects: a Streamable HTTP URL, a bin it spawns over stdio, or one end of an in-memory link (2025 only). */
export type ClientTarget = { url: string } | { stdio: StdioServerParameters } | { link: Transport };

/** A connected client of either era. */
export interface Connection<C extends BridgeClient = BridgeClient> {
  /** The client in the v1 call shape: the v1 client itself in 2025-11-25. */
  client: C;
  /** The v2 client itself, in 2026-07-28: for what the v1 call shape cannot say (per-request `_meta`, notification handlers). */
  modern?: ModernClient;
  /** 2025-11-25 over HTTP: the transport (its session id, terminateSession). */
  transport?: StreamableHTTPClientTransport;
  /** What the client was asked, with `elicit`. */
  questions: ElicitRequest['params'][];
  /** How many `notifications/tools/list_changed` it received. */
  listChanged(): number;
  /** Over stdio: the bin's stderr as it writes it, and its pid. */
  stderrStream?: Stream | null;
  pid?: number | null;
  close(): Promise<void>;
}

/** A real MCP client of `era` connected to `target`. */
export async function connectClient(target: ClientTarget, options: ClientOptions & { era: 'modern' }): Promise<Connection & { modern: ModernClient }>;
export async function connectClient(target: ClientTarget, options?: ClientOptions & { era?: 'legacy' }): Promise<Connection<Client>>;
export async function connectClient(target: ClientTarget, options?: ClientOptions): Promise<Connection>;
export async function connectClient(target: ClientTarget, options: ClientOptions = {}): Promise<Connection> {
  const { era = 'legacy', token, elicit, name = 'test' } = options;
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  const capabilities = elicit ? { elicitation: { form: {} } } : {};
  const questions: ElicitRequest['params'][] = [];
  const ask = async (params: ElicitRequest['params']) => {
    questions.push(params);
    return elicit!(params);
  };
  let changes = 0;
  if (era === 'modern') {
    if ('link' in target) throw new Error('2026-07-28 has no in-memory link here: connect over HTTP or stdio');
    const client = modernClient(name, { capabilities });
    if (elicit) client.setRequestHandler('elicitation/create', (request) => ask(request.params as ElicitRequest['params']) as never);
    client.setNotificationHandler('notifications/tools/list_changed', () => void changes++);
    const transport =
      'url' in target
        ? new ModernHttpClientTransport(new URL(target.url), { requestInit })
        : new ModernStdioClientTransport({ stderr: 'pipe', ...target.stdio });
    const stderrStream = transport instanceof ModernStdioClientTransport ? transport.stderr : undefined;
    await client.connect(transport);
    const pid = transport instanceof ModernStdioClientTransport ? transport.pid : undefined;
    return { client: asBridgeClient(client), modern: client, questions, listChanged: () => changes, stderrStream, pid, close: () => client.close() };
  }
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  if (elicit) client.setRequestHandler(ElicitRequestSchema, (request) => ask(request.params));
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changes++);
  if ('link' in target) {
    await client.connect(target.link);
    return { client, questions, listChanged: () => changes, close: () => client.close() };
  }
  if ('url' in target) {
    const transport = new StreamableHTTPClientTransport(new URL(target.url), { requestInit });
    await client.connect(transport);
    return { client, transport, questions, listChanged: () => changes, close: () => client.close() };
  }
  const transport = new StdioClientTransport({ stderr: 'pipe', ...target.stdio });
  const stderrStream = transport.stderr;
  await client.connect(transport);
  return { client, questions, listChanged: () => changes, stderrStream, pid: transport.pid, close: () => client.close() };
}
