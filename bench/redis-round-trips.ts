/**
 * The Redis cost of a call with `--redis-url`, one bin against a real redis-server: the round trips
 * the bridge makes (commands it sends, seen through MONITOR, scripts counted once) and the commands
 * Redis runs for them (INFO commandstats, those inside scripts included), per call of each kind.
 * A plain call should cost none; a task costs its create, status, result and poll scripts.
 */
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startRedis } from '../test/servers/redis.js';
import { postModernTasks } from '../test/http-helpers.js';
import { startHttpBridge } from './bridge-process.js';
import { round, summarize, table, timed } from './stats.js';

type Counts = Map<string, number>;

async function commandCounts(info: () => Promise<string>): Promise<Counts> {
  const counts: Counts = new Map();
  for (const [, name, calls] of (await info()).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (name !== 'info') counts.set(name!, Number(calls));
  return counts;
}

const perCall = (before: Counts, after: Counts, n: number) => {
  const diff = [...after].map(([name, calls]) => [name, (calls - (before.get(name) ?? 0)) / n] as const).filter(([, d]) => d > 0);
  return { total: diff.reduce((sum, [, d]) => sum + d, 0), byCommand: Object.fromEntries(diff) };
};

const modern = async (url: string, method: string, params: Record<string, unknown>) => (await postModernTasks(url, method, params)).result;

export async function redisRoundTrips(mastraUrl: string, { calls }: { calls: number }): Promise<{ report: string; figures: Record<string, unknown> }> {
  const redis = await startRedis();
  const http = await startHttpBridge(mastraUrl, ['--redis-url', redis.url]);
  const legacy = await http.connect();
  const modernClient = await http.connectModern();
  const info = () => redis.client.info('commandstats');
  // What the bridge sends, by command; commands a script runs show up with the source "lua".
  const sent: Counts = new Map();
  const monitor = await redis.client.monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua' && !['monitor', 'info'].includes(args[0]!.toLowerCase()))
      sent.set(args[0]!.toLowerCase(), (sent.get(args[0]!.toLowerCase()) ?? 0) + 1);
  });
  const args = { message: 'benchmark' };
  const kinds: [string, () => Promise<unknown>][] = [
    ['plain call, 2025-11-25 session', () => legacy.callTool({ name: 'ask_echo', arguments: args })],
    ['plain call, 2026-07-28', () => modernClient.callTool({ name: 'ask_echo', arguments: args })],
    [
      'task, 2025-11-25 (create, then tasks/result)',
      async () => {
        const { task } = await legacy.request(
          { method: 'tools/call', params: { name: 'ask_echo', arguments: args, task: { ttl: 60_000 } } },
          CreateTaskResultSchema,
        );
        await legacy.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
      },
    ],
    [
      'task, 2026-07-28 (create, then tasks/get until completed)',
      async () => {
        const { taskId } = await modern(http.url, 'tools/call', { name: 'ask_echo', arguments: args });
        while ((await modern(http.url, 'tasks/get', { taskId })).status !== 'completed') await new Promise((resolve) => setTimeout(resolve, 20));
      },
    ],
  ];
  // Warm up, and let every lease renewal of the warm-up's runs go quiet.
  for (const [, run] of kinds) await run();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rows: (string | number)[][] = [];
  const figures: Record<string, unknown> = {};
  for (const [name, run] of kinds) {
    const before = await commandCounts(info);
    const sentBefore = new Map(sent);
    const latencies: number[] = [];
    for (let i = 0; i < calls; i++) latencies.push((await timed(run))[0]);
    // MONITOR lines may trail the calls a little.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const trips = perCall(sentBefore, new Map(sent), calls);
    const executed = perCall(before, await commandCounts(info), calls);
    const p50 = summarize(latencies).p50;
    const byCommand =
      Object.entries(trips.byCommand)
        .map(([c, n]) => `${c} ${round(n, 1)}`)
        .join(', ') || '—';
    rows.push([name, round(trips.total, 1), byCommand, round(executed.total, 1), round(p50, 1)]);
    figures[name] = { roundTrips: trips, commandsRun: executed, p50Ms: p50 };
  }
  monitor.disconnect();
  // What one task costs Redis beyond its result's JSON.
  const taskKeys = (await redis.client.keys('mastra-agents-mcp:task:*')).slice(0, 50);
  let overhead = 0;
  for (const key of taskKeys) overhead += ((await redis.client.memory('USAGE', key)) ?? 0) - (await redis.client.hstrlen(key, 'result'));
  figures.taskBytesBesidesResult = overhead / taskKeys.length;
  await legacy.close();
  await modernClient.close();
  await http.close();
  await redis.stop();
  const title = `Redis round trips per call (--redis-url, ${calls} calls each; MONITOR and INFO commandstats)`;
  const note = `Each task takes ${round(figures.taskBytesBesidesResult as number, 0)} bytes of Redis memory besides its result (MEMORY USAGE, mean of ${taskKeys.length}).`;
  return { report: `${table(title, ['call', 'round trips', 'by command sent', 'commands Redis ran', 'p50 ms'], rows)}\n${note}`, figures };
}
