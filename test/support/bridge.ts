import type { Client as ModernClient } from '@modelcontextprotocol/client';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { ChildProcess } from 'node:child_process';
import type { Catalogue } from '../../src/catalogue/catalogue.js';
import { createLogger } from '../../src/log.js';
import { createServer } from '../../src/protocol/legacy/server.js';
import { startHttp, type HttpOptions } from '../../src/transports/http.js';
import { binCommand, binEnv, killBin, listeningUrl, spawnBin } from './bin.js';
import { catalogueOf, frontDefaults, httpDefaults } from './defaults.js';
import { clientFor } from './mastra.js';
import { connectClient, type BridgeClient, type ClientOptions, type Connection } from './mcp-clients.js';
import { rawStdio, type RawStdio } from './raw-stdio.js';

/**
 * One way to start the bridge, in every shape the tests need it: in this process (over the SDK's
 * in-memory link, or HTTP) or the built bin (stdio, or HTTP), with a real client of either era
 * connected, a raw line client (the stdio bin), or none (raw HTTP requests to `url`).
 */
export interface BridgeOptions extends ClientOptions {
  /** The Mastra server it lists agents from (and calls, unless `callTo`). */
  mastraUrl: string;
  transport: 'in-memory' | 'stdio' | 'http';
  /** `http`: the built bin (`--transport http --port 0`) instead of the bridge in this process. stdio is always the bin. */
  bin?: boolean;
  /** What connects first: an SDK client of `era` (default), JSON-RPC lines by hand (the stdio bin), or nothing. */
  client?: 'sdk' | 'raw' | 'none';
  /** The bin's flags, and its environment beyond PATH and MASTRA_BASE_URL. */
  args?: string[];
  env?: Record<string, string>;
  /** A command that execs the bin (prlimit), so that its pid is the bridge's. */
  launcher?: string[];
  /** In this process: the bridge's settings over the defaults (the HTTP ones apply to HTTP); `progress` is merged with the default pacing. */
  settings?: Partial<Omit<HttpOptions, 'progress'>> & { progress?: Partial<HttpOptions['progress']> };
  /** In this process: lists with this Mastra token, and calls with it when the caller brings none (JWT_TOKEN). */
  serviceToken?: string;
  /** In this process: where calls go, when not to `mastraUrl` (a listing of one server, calls to another). */
  callTo?: string;
}

export interface Bridge {
  /** HTTP: `http://127.0.0.1:PORT/mcp`, its real port; '' otherwise. */
  url: string;
  /** What the bin wrote on stderr, or the log lines of the bridge in this process. */
  stderr(): string;
  /** In this process: the service-level catalogue. */
  catalogue?: Catalogue;
  /** The bin, where the test spawned it itself (HTTP, raw stdio): to signal it. */
  child?: ChildProcess;
  /** The bin's exit code, once it exits. */
  exited?: Promise<number | null>;
  /** Another client of this bridge (HTTP, in-memory); closed with the bridge. */
  connect(options?: ClientOptions & { era?: 'legacy' }): Promise<Connection<Client>>;
  connect(options: ClientOptions): Promise<Connection>;
  /**
   * Closes every client, then the bridge (a bin is killed). With `graceMs` (HTTP in this process), the bridge shuts
   * down first, giving calls in flight that long, while its clients are still connected to see how it ends them.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export type ClientBridge<C extends BridgeClient = BridgeClient> = Bridge & Connection<C>;
export type RawBridge = Bridge & { raw: RawStdio; child: ChildProcess; exited: Promise<number | null> };

export async function startBridge(options: BridgeOptions & { client: 'raw' }): Promise<RawBridge>;
export async function startBridge(options: BridgeOptions & { client: 'none' }): Promise<Bridge>;
export async function startBridge(options: BridgeOptions & { era: 'modern' }): Promise<ClientBridge & { modern: ModernClient }>;
export async function startBridge(options: BridgeOptions & { era?: 'legacy' }): Promise<ClientBridge<Client>>;
export async function startBridge(options: BridgeOptions): Promise<ClientBridge>;
export async function startBridge(options: BridgeOptions): Promise<Bridge | ClientBridge | RawBridge> {
  const running =
    options.transport === 'stdio' ? await stdioBin(options) : options.transport === 'http' && options.bin ? await httpBin(options) : await inProcess(options);
  if (options.transport === 'stdio' || options.client === 'none' || options.client === 'raw') return running;
  try {
    return { ...(await running.connect(options)), ...running };
  } catch (error) {
    await running.close();
    throw error;
  }
}

/** Closes the connections it made, last first. */
function connections(open: (options: ClientOptions) => Promise<Connection>) {
  const made: Connection[] = [];
  return {
    connect: async (options: ClientOptions = {}) => {
      const connection = await open(options);
      made.push(connection);
      return connection;
    },
    closeAll: async () => {
      for (const connection of made.splice(0).reverse()) await connection.close().catch(() => {});
    },
  };
}

/** The bridge in this process: a 2025-11-25 server per in-memory link, or the HTTP transport on a free port. */
async function inProcess(options: BridgeOptions): Promise<Bridge> {
  const { mastraUrl, serviceToken, settings = {} } = options;
  const callTo = options.callTo ?? mastraUrl;
  const lines: string[] = [];
  const logger = settings.logger ?? createLogger('debug', (line) => lines.push(line));
  const catalogue = settings.catalogue ?? catalogueOf(clientFor(mastraUrl, serviceToken));
  // A Mastra that refuses the listing (no service token) leaves it empty, as the bin starts.
  if (!settings.catalogue) await catalogue.refresh().catch(() => {});
  // A task board the bridge makes is closed with it; one given is the test's.
  const front = frontDefaults();
  const base = {
    ...front,
    catalogue,
    client: clientFor(callTo, serviceToken),
    baseUrl: callTo,
    logger,
    // A setting given as undefined (a test's optional one) keeps its default.
    ...Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)),
    progress: { ...front.progress, ...settings.progress },
  };
  const closeTasks = () => (settings.tasks ? Promise.resolve() : front.tasks.close());
  const stderr = () => lines.join('');
  if (options.transport === 'in-memory') {
    const { connect, closeAll } = connections(async (client) => {
      const server = createServer(base);
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const connection = await connectClient({ link: clientSide }, client);
      return { ...connection, close: () => connection.close().then(() => server.close()) };
    });
    return { url: '', stderr, catalogue, connect: connect as never, close: () => closeAll().then(closeTasks) };
  }
  const http = await startHttp({
    ...httpDefaults(),
    clientForToken: (token) => clientFor(callTo, token),
    hasServiceToken: serviceToken !== undefined,
    ...base,
  });
  const { connect, closeAll } = connections((client) => connectClient({ url: http.url }, client));
  return {
    url: http.url,
    stderr,
    catalogue,
    connect: connect as never,
    close: async ({ graceMs }: { graceMs?: number } = {}) => {
      // A shutdown with a grace period is what a test watches: its clients stay connected and see it.
      if (graceMs !== undefined) {
        await http.close({ graceMs });
        await closeAll();
        return closeTasks();
      }
      await closeAll();
      await http.close({ graceMs: 0 });
      await closeTasks();
    },
  };
}

const envOf = (options: BridgeOptions) => ({ MASTRA_BASE_URL: options.mastraUrl, ...options.env });

/** The bin with `--transport http`, once it listens. */
async function httpBin(options: BridgeOptions): Promise<Bridge> {
  const bin = spawnBin(['--transport', 'http', '--port', '0', ...(options.args ?? [])], envOf(options), options.launcher);
  // Only stderr is read; a full stdout pipe must not stall it.
  bin.child.stdout.resume();
  const url = await listeningUrl(bin);
  const { connect, closeAll } = connections((client) => connectClient({ url }, client));
  return {
    url,
    stderr: bin.stderr,
    child: bin.child,
    exited: bin.exited,
    connect: connect as never,
    close: async () => {
      await closeAll();
      await killBin(bin.child);
    },
  };
}

/** The bin over stdio: one client per process, an SDK one or raw lines. */
async function stdioBin(options: BridgeOptions): Promise<Bridge | ClientBridge | RawBridge> {
  const refuse = async (): Promise<never> => {
    throw new Error('a stdio bin serves one client: start another bridge');
  };
  if (options.client === 'raw' || options.client === 'none') {
    const bin = spawnBin(options.args ?? [], envOf(options), options.launcher);
    const raw = rawStdio(bin.child, options.era ?? 'legacy');
    return {
      url: '',
      raw,
      stderr: bin.stderr,
      child: bin.child,
      exited: bin.exited,
      connect: refuse,
      close: async () => {
        bin.child.stdin.end();
        // A bin that ends with its input is given a moment; one that does not is killed.
        const ended = await Promise.race([bin.exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 2_000))]);
        if (!ended) await killBin(bin.child);
      },
    };
  }
  const [command, args] = binCommand(options.args ?? [], options.launcher);
  const connection = await connectClient({ stdio: { command, args, env: binEnv(envOf(options)), stderr: 'pipe' } }, options);
  let stderr = '';
  connection.stderrStream?.on('data', (data: Buffer) => (stderr += data.toString()));
  return { ...connection, url: '', stderr: () => stderr, connect: refuse, close: () => connection.close() };
}
