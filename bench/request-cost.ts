/**
 * What one request to Mastra costs the process that sends it: undici's `fetch`, as client-js uses it by default,
 * against `mastraFetch`, the bridge's own (kernel/mastra-fetch.ts: node:http, the body handed back in a web
 * Response), each followed by the `response.json()` client-js does. Mastra runs in a process of its own
 * (bench/mastra-process.ts), so this process's CPU time is the client's alone. Interleaved in blocks of 100, after a warm-up.
 */
import { mastraFetch } from '../src/kernel/mastra-fetch.js';
import { startMastraProcess } from './inflight.js';
import { round, summarize, table } from './stats.js';

const BLOCK = 100;

export interface RequestCostFigures {
  client: string;
  requests: number;
  cpuMsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
}

export async function requestCost(options: { requests: number; warmup: number }): Promise<{ report: string; figures: RequestCostFigures[] }> {
  const mastra = await startMastraProcess(false);
  try {
    const { mastraUrl } = mastra;
    const url = `${mastraUrl}/api/agents/echo/generate`;
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messages: 'benchmark' }) };
    const clients = [
      { client: "undici's fetch (client-js's default)", send: fetch },
      { client: 'mastraFetch (the bridge: node:http)', send: mastraFetch },
    ];
    const one = async (send: typeof fetch) => (await send(url, init)).json();
    for (let i = 0; i < options.warmup; i++) for (const { send } of clients) await one(send);
    const cpu = clients.map(() => 0);
    const times: number[][] = clients.map(() => []);
    // In blocks: request by request, each client's garbage and background work would be charged to the other.
    for (let done = 0; done < options.requests; done += BLOCK)
      for (const [k, { send }] of clients.entries()) {
        const before = process.cpuUsage();
        for (let i = 0; i < Math.min(BLOCK, options.requests - done); i++) {
          const startedAt = performance.now();
          await one(send);
          times[k]!.push(performance.now() - startedAt);
        }
        const used = process.cpuUsage(before);
        cpu[k]! += (used.user + used.system) / 1000;
      }
    const figures = clients.map(({ client }, k) => {
      const { p50, p99 } = summarize(times[k]!);
      return { client, requests: options.requests, cpuMsPerRequest: round(cpu[k]! / options.requests, 3), p50Ms: round(p50), p99Ms: round(p99) };
    });
    const base = figures[0]!.cpuMsPerRequest;
    const report = table(
      `One request to Mastra from the sending process: ${options.requests} generate requests each, in interleaved blocks of ${BLOCK}, Mastra in a process of its own`,
      ['client', 'CPU ms per request', 'vs fetch', 'p50 ms', 'p99 ms'],
      figures.map((f) => [f.client, f.cpuMsPerRequest, `${round(f.cpuMsPerRequest / base, 2)}×`, f.p50Ms, f.p99Ms]),
    );
    return { report, figures };
  } finally {
    await mastra.close();
  }
}
