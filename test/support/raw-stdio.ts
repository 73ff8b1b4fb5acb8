import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { MODERN_VERSION, type Era } from './mcp-clients.js';
import { waitFor } from './waiting.js';

/** A JSON-RPC message as the bin writes it on stdout. */
export type RawMessage = { jsonrpc?: string; id?: number | string; method?: string; params?: any; result?: any; error?: { code: number; message: string } };

/** The `_meta` envelope of a 2026-07-28 request; `extensions` (the tasks extension) and other capabilities as the client declares them. */
export const modernEnvelope = (capabilities: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': capabilities,
});

export const INITIALIZE_PARAMS = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } };

/** The spawned bin spoken to in newline-delimited JSON-RPC by hand, for what an SDK client would never send. */
export interface RawStdio {
  /** Every stdout line so far, parsed; the bin writes nothing else there. */
  messages: RawMessage[];
  /** Every stdout line so far, as written. */
  lines: string[];
  /** Writes one message, or a line as it is. */
  send(message: object | string): void;
  /** Sends a request with the next id (in 2026-07-28 with its `_meta` envelope, declaring `capabilities`) and answers the message that answers it. */
  request(method: string, params?: Record<string, unknown>, capabilities?: Record<string, unknown>): Promise<RawMessage>;
  notify(method: string): void;
  /** The message that answers `id`, once the bin has written it. */
  answerTo(id: number | string, timeoutMs?: number): Promise<RawMessage>;
  /** 2025-11-25: initialize and notifications/initialized. */
  initialize(): Promise<RawMessage>;
  /** Ends stdin, as a client that goes away does. */
  end(): void;
}

export function rawStdio(child: ChildProcessWithoutNullStreams, era: Era): RawStdio {
  const lines: string[] = [];
  const messages: RawMessage[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    messages.push(JSON.parse(line) as RawMessage);
  });
  let nextId = 1000;
  const send = (message: object | string) => void child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  const answerTo = (id: number | string, timeoutMs?: number) =>
    waitFor(`the answer to ${id}`, () => messages.find((m) => m.id === id && m.method === undefined), timeoutMs);
  const raw: RawStdio = {
    messages,
    lines,
    send,
    request: (method, params = {}, capabilities = {}) => {
      const id = ++nextId;
      // A `_meta` of the caller's own (a progress token) joins the envelope.
      const meta = { ...(era === 'modern' ? modernEnvelope(capabilities) : {}), ...(params._meta as object | undefined) };
      send({ jsonrpc: '2.0', id, method, params: Object.keys(meta).length ? { ...params, _meta: meta } : params });
      return answerTo(id);
    },
    notify: (method) => send({ jsonrpc: '2.0', method }),
    answerTo,
    initialize: async () => {
      const answer = await raw.request('initialize', INITIALIZE_PARAMS);
      raw.notify('notifications/initialized');
      return answer;
    },
    end: () => void child.stdin.end(),
  };
  return raw;
}
