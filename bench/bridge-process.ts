import { type Client as ModernClient, StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN as BUILT_BIN } from '../test/support/bin.js';
import { modernClient } from '../test/support/mcp-clients.js';

/** The bin under test: this clone's build, or `BENCH_BIN` (e.g. an older build, to compare before and after on one machine). */
export const BIN = process.env.BENCH_BIN || BUILT_BIN;

/** A 2026-07-28 client for any MCP endpoint (the bridge, or the Mastra MCPServer peer). */
export async function connectModernClient(url: string): Promise<ModernClient> {
  const client = modernClient('bench');
  await client.connect(new ModernHttpClientTransport(new URL(url)));
  return client;
}

const childEnv = (mastraUrl: string) => ({ PATH: process.env.PATH ?? '', MASTRA_BASE_URL: mastraUrl, LOG_LEVEL: 'warn' });

const statusBytes = (pid: number, field: string): number => {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
};

/** Resident set size of a process in bytes, from /proc. */
export const rssOf = (pid: number): number => statusBytes(pid, 'VmRSS');

/** The most resident memory a process has had since it started, in bytes. */
export const peakRssOf = (pid: number): number => statusBytes(pid, 'VmHWM');

export interface StdioBridge {
  client: Client;
  pid: number;
  close(): Promise<void>;
}

/** `env`: more of the environment, e.g. OTEL_* for the tracing scenario. */
export async function startStdioBridge(mastraUrl: string, env: Record<string, string> = {}): Promise<StdioBridge> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN], env: { ...childEnv(mastraUrl), ...env }, stderr: 'inherit' });
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid!, close: () => client.close() };
}

export interface HttpBridge {
  url: string;
  child: ChildProcess;
  connect(): Promise<Client>;
  /** A v2 SDK client pinned to MCP 2026-07-28: no session, each request stands alone. */
  connectModern(): Promise<ModernClient>;
  close(): Promise<void>;
}

/** Node's own flags and environment for a bridge process (e.g. bench/bridge-probe.mjs preloaded). */
export interface BridgeProcessOptions {
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** The bin over Streamable HTTP on a free port; resolves once it prints its URL. */
export async function startHttpBridge(
  mastraUrl: string,
  extraArgs: string[] = [],
  { nodeArgs = [], env = {} }: BridgeProcessOptions = {},
): Promise<HttpBridge> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, '--transport', 'http', '--port', '0', ...extraArgs], {
    env: { ...childEnv(mastraUrl), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const found = /http:\/\/[^\s]+\/mcp/.exec(stderr);
      if (found) resolve(found[0]);
    });
    child.on('exit', (code) => reject(new Error(`HTTP bridge exited (${code}): ${stderr}`)));
  });
  const connect = async () => {
    const client = new Client({ name: 'bench', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return client;
  };
  const connectModern = () => connectModernClient(url);
  const close = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url, child, connect, connectModern, close };
}

/** USER_HZ: what /proc counts CPU time in; 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat (Linux). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name, in parentheses, may hold spaces: count the fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
