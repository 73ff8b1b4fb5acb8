/**
 * `tsx bench/inflight-callers.ts <mcp url> <legacy|modern> <callers> <tool>`: the callers of the in-flight
 * scenario, in a process of their own so that neither the bridge nor the peer's process carries their
 * memory. Each caller connects (a 2025-11-25 session each, or a 2026-07-28 client), prints `connected`,
 * waits for a line on stdin, then makes one call asking for progress; `inflight` once every call has
 * had progress (all are held open then), and at the end one line of JSON: what came back.
 */
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const [url, era, count, tool] = process.argv.slice(2) as [string, 'legacy' | 'modern', string, string];
const n = Number(count);
type Call = (message: string, onprogress: () => void) => Promise<{ content?: { type: string; text?: string }[]; isError?: boolean }>;

async function connect(): Promise<{ call: Call; close(): Promise<void> }> {
  const options = (onprogress: () => void) => ({ onprogress, timeout: 600_000, resetTimeoutOnProgress: true });
  if (era === 'legacy') {
    const client = new Client({ name: 'inflight', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return { call: (message, p) => client.callTool({ name: tool, arguments: { message } }, undefined, options(p)) as never, close: () => client.close() };
  }
  const client = new ModernClient({ name: 'inflight', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new ModernTransport(new URL(url)));
  return { call: (message, p) => client.callTool({ name: tool, arguments: { message } }, options(p)) as never, close: () => client.close() };
}

const callers: Awaited<ReturnType<typeof connect>>[] = [];
for (let i = 0; i < n; i += 50) callers.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, connect))));
process.stdout.write('connected\n');
const lines = createInterface({ input: process.stdin });
await once(lines, 'line');

let progressed = 0;
const outcomes = await Promise.all(
  callers.map(async (caller, i) => {
    let heard = false;
    const start = performance.now();
    const onprogress = () => {
      if (heard) return;
      heard = true;
      if (++progressed === n) process.stdout.write('inflight\n');
    };
    try {
      const result = await caller.call(`caller ${i}`, onprogress);
      const text = result.content?.map((c) => c.text ?? '').join('') ?? '';
      return { ms: performance.now() - start, ok: !result.isError && text.includes('word10'), heard, error: result.isError ? text.slice(0, 200) : undefined };
    } catch (error) {
      return { ms: performance.now() - start, ok: false, heard, error: String(error).slice(0, 200) };
    }
  }),
);
if (progressed < n) process.stdout.write('inflight\n');
await Promise.all(callers.map((c) => c.close().catch(() => {})));
const failures = outcomes.filter((o) => !o.ok);
process.stdout.write(
  `${JSON.stringify({
    answered: outcomes.length - failures.length,
    errors: failures.length,
    withoutProgress: outcomes.filter((o) => !o.heard).length,
    firstError: failures[0]?.error,
    ms: outcomes.map((o) => o.ms),
  })}\n`,
);
process.exit(0);
