import type { MastraClient } from '@mastra/client-js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createServer as createNetServer } from 'node:net';
import type { Catalogue } from '../src/catalogue/catalogue.js';
import { createMastraClient } from '../src/mastra-client.js';
import { createServer, type ServerOptions } from '../src/protocol/legacy/server.js';
import type { TaskBoard } from '../src/tasks/task-board.js';
import { startHttp } from '../src/transports/http.js';
import { startFakeModel, type FakeModel } from './fixture/fake-model.js';
import { startMastraFixture, type FixtureOptions, type MastraFixture } from './fixture/mastra-app.js';
import { catalogueOf, frontDefaults, httpDefaults } from './support/defaults.js';

export interface Stack {
  model: FakeModel;
  mastra: MastraFixture;
  close(): Promise<void>;
}

/** A real Mastra server on a free loopback port, with the fake model behind its agents. */
export async function startStack(options: Omit<FixtureOptions, 'modelUrl'> = {}): Promise<Stack> {
  const model = await startFakeModel();
  const mastra = await startMastraFixture({ ...options, modelUrl: model.url });
  return {
    model,
    mastra,
    close: async () => {
      await mastra.close();
      await model.close();
    },
  };
}

/** A client from the product's own factory, for a given Mastra URL. */
export function clientFor(baseUrl: string, token?: string): MastraClient {
  return createMastraClient(token, { baseUrl });
}

/** What the shared test bodies ask of a client, in the v1 SDK's call shape; 2026-07-28 clients are adapted to it. */
export type BridgeClient = Pick<Client, 'listTools' | 'callTool' | 'close'>;

/** A running bridge and a real MCP client connected to it. */
export interface Bridge {
  client: BridgeClient;
  /** The v2 client itself, on a 2026-07-28 connection: for what the v1 call shape cannot say (per-request `_meta`, notification handlers). */
  modern?: ModernClient;
  close(): Promise<void>;
}

export interface Connected extends Bridge {
  client: Client;
  catalogue: Catalogue;
}

/** Server settings a test may change from the defaults; over stdio they become flags of the bin where it has them. */
export type BridgeSettings = { callTimeoutMs?: number; progress?: Partial<ServerOptions['progress']> };

/** The fronts' default options with a test's settings over them. */
function frontWith(settings: BridgeSettings, tasks?: TaskBoard) {
  const defaults = frontDefaults();
  return {
    ...defaults,
    callTimeoutMs: settings.callTimeoutMs ?? defaults.callTimeoutMs,
    progress: { ...defaults.progress, ...settings.progress },
    tasks: tasks ?? defaults.tasks,
  };
}

/** The bridge in this process, reached by a real MCP client over the SDK's in-memory transport. */
export async function connectInMemory(options: { listFrom: string; callTo?: string; token?: string; tasks?: TaskBoard } & BridgeSettings): Promise<Connected> {
  const catalogue = catalogueOf(clientFor(options.listFrom, options.token));
  await catalogue.refresh();
  const baseUrl = options.callTo ?? options.listFrom;
  const server = createServer({ ...frontWith(options, options.tasks), catalogue, client: clientFor(baseUrl, options.token), baseUrl });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    catalogue,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export const textOf = (result: unknown): string => ((result as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('');

/** `legacy`: MCP 2025-11-25 through the v1 SDK client; `modern`: 2026-07-28 through the v2 client pinned to it. */
export type Era = 'legacy' | 'modern';

export const MODERN_VERSION = '2026-07-28';

/** A v2 SDK client that speaks only 2026-07-28: connect fails unless server/discover offers it. */
export const modernClient = (name = 'test'): ModernClient =>
  new ModernClient({ name, version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN_VERSION } } });

/** The v2 client in the v1 call shape of the shared test bodies (`callTool(params, schema, options)`). */
export function asBridgeClient(client: ModernClient): BridgeClient {
  return {
    listTools: (params, options) => client.listTools(params, options) as never,
    callTool: (params, _schema, options) => client.callTool(params as never, options as never) as never,
    close: () => client.close(),
  };
}

/** A loopback port that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The built bin, as `npm install` leaves it (`npm test` rebuilds it first). */
export const BIN = new URL('../dist/cli.js', import.meta.url).pathname;

/** The built bin spawned over stdio, reached by the SDK's own stdio client transport. */
export async function connectStdio(options: { mastraUrl: string; era?: Era } & BridgeSettings): Promise<Bridge> {
  const args = [BIN, ...(options.callTimeoutMs !== undefined ? ['--call-timeout', `${options.callTimeoutMs}ms`] : [])];
  const params = {
    command: process.execPath,
    args,
    env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: options.mastraUrl, LOG_LEVEL: 'warn' },
    stderr: 'pipe' as const,
  };
  if (options.era === 'modern') {
    const client = modernClient();
    await client.connect(new ModernStdioClientTransport(params));
    return { client: asBridgeClient(client), modern: client, close: () => client.close() };
  }
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StdioClientTransport(params));
  return { client, close: () => client.close() };
}

/** Ways to reach the bridge; a test body that takes one runs over each. HTTP joins this list. */
export interface BridgeTransport {
  name: string;
  connect(mastraUrl: string, settings?: BridgeSettings): Promise<Bridge>;
  /** Whether the progress pacing (heartbeat, coalescing) can be set; the bin has no flags for it. */
  pacing: boolean;
}

/** The HTTP bridge in this process, reached by a real MCP client over Streamable HTTP. */
export async function connectHttpInProcess(options: { mastraUrl: string; era?: Era } & BridgeSettings): Promise<Bridge> {
  const catalogue = catalogueOf(clientFor(options.mastraUrl));
  await catalogue.refresh();
  const front = frontWith(options);
  const http = await startHttp({ ...front, ...httpDefaults(), catalogue, client: clientFor(options.mastraUrl), baseUrl: options.mastraUrl });
  const close = async (client: { close(): Promise<void> }) => {
    await client.close();
    await http.close({ graceMs: 0 });
    await front.tasks.close();
  };
  if (options.era === 'modern') {
    const client = modernClient();
    await client.connect(new ModernHttpClientTransport(new URL(http.url)));
    return { client: asBridgeClient(client), modern: client, close: () => close(client) };
  }
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
  return { client, close: () => close(client) };
}

export const bridgeTransports: BridgeTransport[] = [
  { name: 'in-memory', pacing: true, connect: (mastraUrl, settings) => connectInMemory({ listFrom: mastraUrl, ...settings }) },
  { name: 'stdio', pacing: false, connect: (mastraUrl, settings) => connectStdio({ mastraUrl, ...settings }) },
  { name: 'http', pacing: true, connect: (mastraUrl, settings) => connectHttpInProcess({ mastraUrl, ...settings }) },
  { name: 'stdio 2026-07-28', pacing: false, connect: (mastraUrl, settings) => connectStdio({ mastraUrl, ...settings, era: 'modern' }) },
  { name: 'http 2026-07-28', pacing: true, connect: (mastraUrl, settings) => connectHttpInProcess({ mastraUrl, ...settings, era: 'modern' }) },
];

/** The 2025-11-25 ways only, for tests of what that era alone has (logging/setLevel, raw v1 requests). */
export interface LegacyBridge {
  client: Client;
  close(): Promise<void>;
}
export const legacyBridgeTransports = bridgeTransports
  .filter((transport) => !transport.name.includes('2026'))
  .map((transport) => ({
    ...transport,
    connect: (mastraUrl: string, settings?: BridgeSettings) => transport.connect(mastraUrl, settings) as Promise<LegacyBridge>,
  }));

/** Polls until the condition holds; fails with the description after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
