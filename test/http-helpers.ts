import type { RawClientDispatch } from '@modelcontextprotocol/ext-tasks/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer as createNetServer, connect, type Socket } from 'node:net';
import type { Catalogue } from '../src/catalogue/catalogue.js';
import { startHttp, type HttpBridge, type HttpOptions } from '../src/transports/http.js';
import { clientFor } from './helpers.js';
import { catalogueOf, frontDefaults, httpDefaults } from './support/defaults.js';

import { BIN } from './helpers.js';

export { BIN };

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An HS256 JWT, as MastraJwtAuth verifies it. */
export function signJwt(secret: string, payload: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const head = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify({ iat: now, exp: now + 3600, ...payload }))}`;
  return `${head}.${base64url(createHmac('sha256', secret).update(head).digest())}`;
}

/**
 * The HTTP bridge in this process, listing with `serviceToken` and calling Mastra at `mastraUrl`, with
 * the default settings but those given. A task board it makes is closed with it; one given is the test's.
 */
export async function startHttpBridge(
  mastraUrl: string,
  options: Partial<HttpOptions> & { serviceToken?: string } = {},
): Promise<HttpBridge & { catalogue: Catalogue }> {
  const { serviceToken, ...settings } = options;
  const client = clientFor(mastraUrl, serviceToken);
  const catalogue = catalogueOf(client);
  await catalogue.refresh();
  const front = frontDefaults();
  const bridge = await startHttp({
    ...front,
    ...httpDefaults(),
    catalogue,
    client,
    clientForToken: (token) => clientFor(mastraUrl, token),
    baseUrl: mastraUrl,
    hasServiceToken: serviceToken !== undefined,
    ...settings,
  });
  const close: HttpBridge['close'] = async (closing) => {
    await bridge.close(closing);
    if (!settings.tasks) await front.tasks.close();
  };
  return { ...bridge, close, catalogue };
}

/** A real MCP client over Streamable HTTP, sending `token` as a bearer token when given. */
export async function connectHttp(url: string, token?: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

export interface SpawnedBridge {
  child: ChildProcess;
  /** Resolves with the URL from the "listening on" line, or rejects with stderr if the bin exits first. */
  url: Promise<string>;
  stderr(): string;
  exited: Promise<number | null>;
}

/** The built bin with `--transport http`; PATH plus `env` only, so nothing leaks in from the test's environment. */
export function spawnHttpBin(args: string[], env: Record<string, string>): SpawnedBridge {
  const child = spawn(process.execPath, [BIN, '--transport', 'http', '--port', '0', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (data: Buffer) => {
      stderr += data.toString();
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`bin exited with ${code} before listening: ${stderr}`)));
  });
  url.catch(() => {});
  return { child, url, stderr: () => stderr, exited };
}

/** A raw JSON-RPC POST to /mcp, for what an SDK client would never send. */
export async function postRpc(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25', ...headers },
    body: JSON.stringify(body),
  });
}

/** A JSON-RPC answer as a raw request sees it. */
export type RpcMessage = { id?: number; result?: any; error?: { code: number; message: string } };

/** The headers a conforming 2026-07-28 client sends with a request. */
const modernHeaders = (method: string, name: string | undefined, token: string | undefined): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(token ? { authorization: `Bearer ${token}` } : {}),
  'mcp-protocol-version': '2026-07-28',
  'mcp-method': method,
  ...(name === undefined ? {} : { 'mcp-name': name }),
});

/** The message answering a request's id, from a JSON body or an event stream. */
async function answerOf(response: Response): Promise<RpcMessage> {
  const text = await response.text();
  const messages = response.headers.get('content-type')?.includes('text/event-stream')
    ? text
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as RpcMessage)
    : [JSON.parse(text) as RpcMessage];
  return messages.find((message) => message.id !== undefined)!;
}

/**
 * A raw 2026-07-28 request framed as a conforming client frames it, declaring the tasks extension (the v2
 * client has no task methods of its own) and any other `capabilities` (elicitation, for a task that asks); answers
 * the message carrying the request's id, JSON or event stream.
 */
export async function postModernTasks(
  url: string,
  method: string,
  params: Record<string, unknown>,
  token?: string,
  capabilities: Record<string, unknown> = {},
): Promise<RpcMessage> {
  const response = await fetch(url, {
    method: 'POST',
    headers: modernHeaders(method, String(params.name ?? params.taskId), token),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': { ...capabilities, extensions: { 'io.modelcontextprotocol/tasks': {} } },
        },
      },
    }),
  });
  return answerOf(response);
}

/**
 * What ext-tasks asks of its host for a 2026-07-28 task server: send the framed request itself (the SDK
 * client's codec refuses task wire shapes), with the headers the spec requires.
 */
export const rawDispatch = (url: string, token?: string): RawClientDispatch => {
  let id = 0;
  return async (request, options) => {
    const { method, params } = request as { method: string; params: { name?: string } };
    const response = await fetch(url, {
      method: 'POST',
      headers: { ...modernHeaders(method, method === 'tools/call' ? params.name : undefined, token), ...options?.context?.headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      signal: options?.signal,
    });
    const answer = await answerOf(response);
    return answer.error ? { kind: 'error', error: answer.error as never } : { kind: 'result', result: answer.result as never };
  };
};

export const initializeRequest = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};

/** A TCP relay to Mastra on loopback that can be cut, for an outage real Mastra would not stage on cue. */
export async function startCuttableRelay(targetPort: number): Promise<{ url: string; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const relay = createNetServer((incoming) => {
    const outgoing = connect(targetPort, '127.0.0.1');
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
