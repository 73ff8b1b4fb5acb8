import { StreamableHTTPClientTransport as ModernHttpClientTransport } from '@modelcontextprotocol/client';
import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modernClient, startStack, textOf, type Stack } from './helpers.js';
import { connectHttp, signJwt } from './http-helpers.js';
import { startNginx, type Nginx } from './servers/nginx.js';
import { startRedis, type RedisServer } from './servers/redis.js';
import { startReplicas, type Replica } from './servers/replicas.js';
import { havePrograms } from './servers/system-programs.js';

const SECRET = 'replicas-round-robin-secret';
const USERS = { alice: signJwt(SECRET, { sub: 'alice' }), bob: signJwt(SECRET, { sub: 'bob' }) };
const CALLS_PER_CLIENT = 6;

let stack: Stack;
let replicas: Replica[];
let stopReplicas: () => Promise<void>;
let nginx: Nginx;
let redis: RedisServer;

/** A caller of one era through the balancer, in the v1 call shape; each connection of its own. */
async function connect(era: 'legacy' | 'modern', token: string) {
  if (era === 'legacy') return (await connectHttp(nginx.url, token)).client;
  const client = modernClient();
  await client.connect(new ModernHttpClientTransport(new URL(nginx.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return { callTool: (params: { name: string; arguments: Record<string, unknown> }) => client.callTool(params), close: () => client.close() };
}

describe.skipIf(!havePrograms({ nginx: 'nginx-light', 'redis-server': 'redis-server' }))(
  'three replicas behind nginx round robin, no affinity, tasks in Redis',
  () => {
    beforeAll(async () => {
      [stack, redis] = await Promise.all([startStack({ jwtSecret: SECRET }), startRedis()]);
      ({ replicas, close: stopReplicas } = await startReplicas(3, () => ['--stateless', '--redis-url', redis.url], {
        MASTRA_BASE_URL: stack.mastra.url,
        JWT_TOKEN: signJwt(SECRET, { sub: 'svc' }),
      }));
      nginx = await startNginx({ upstreams: replicas.map((replica) => replica.address) });
    }, 30_000);
    afterAll(async () => {
      await nginx?.close();
      await stopReplicas?.();
      await redis?.stop();
      await stack?.close();
    });

    it('serves two users in both eras (2025 with --stateless, 2026-07-28 as is) with 0 errors and 0 identity mismatches, spread over all three', async () => {
      const before = nginx.served().length;
      const callers = (['legacy', 'modern'] as const).flatMap((era) => Object.entries(USERS).map(([user, token]) => ({ era, user, token })));
      const outcomes = await Promise.all(
        callers.map(async ({ era, user, token }) => {
          const client = await connect(era, token);
          try {
            return await Promise.all(
              Array.from({ length: CALLS_PER_CLIENT }, async (_, i) => {
                const tenant = `${era}-${user}-${i}`;
                const result = await client
                  .callTool({ name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant } } })
                  .catch((error: Error) => error);
                if (result instanceof Error || result.isError) return 'error';
                return textOf(result) === `revealed: user=${user} tenant=${tenant}` ? 'ok' : 'mismatch';
              }),
            );
          } finally {
            await client.close();
          }
        }),
      );
      const counts = { ok: 0, error: 0, mismatch: 0 };
      for (const outcome of outcomes.flat()) counts[outcome]++;
      expect(counts).toEqual({ ok: callers.length * CALLS_PER_CLIENT, error: 0, mismatch: 0 });

      const posts = nginx
        .served()
        .slice(before)
        .filter((request) => request.method === 'POST');
      expect(posts.every((request) => request.status === 200 || request.status === 202)).toBe(true);
      const perReplica = replicas.map((replica) => posts.filter((request) => request.upstream === replica.address).length);
      // Round robin in one nginx worker rotates strictly: each replica gets close to a third.
      for (const count of perReplica) expect(count).toBeGreaterThanOrEqual(Math.floor(posts.length / 4));
      expect(perReplica.reduce((a, b) => a + b, 0)).toBe(posts.length);
    });

    it('passes an event stream through as it is written: progress arrives before the agent has finished', async () => {
      const client = (await connectHttp(nginx.url, USERS.alice)).client;
      try {
        const progressAt: number[] = [];
        const result = await client.callTool({ name: 'ask_slow', arguments: { message: 'through nginx' } }, undefined, {
          onprogress: () => progressAt.push(Date.now()),
        });
        expect(textOf(result)).toContain('word10');
        const upstream = stack.model.requests.find((request) => request.lastUserMessage === 'through nginx')!;
        expect(progressAt.length).toBeGreaterThan(1);
        // A buffering proxy would hold every event until the run's answer ended the response.
        expect(progressAt[0]!).toBeLessThan(upstream.endedAt!);
      } finally {
        await client.close();
      }
    });

    it('answers a 2025 client’s GET and DELETE with 405 through the balancer: no replica keeps a session', async () => {
      for (const method of ['GET', 'DELETE']) {
        const response = await fetch(nginx.url, { method, headers: { authorization: `Bearer ${USERS.bob}`, accept: 'text/event-stream' } });
        expect(response.status).toBe(405);
        await response.body?.cancel();
      }
    });

    it('keeps a 2025 --stateless task across the replicas: created, polled and collected through the balancer, another user sees none of it', async () => {
      const [alice, bob] = [(await connectHttp(nginx.url, USERS.alice)).client, (await connectHttp(nginx.url, USERS.bob)).client];
      try {
        const before = nginx.served().length;
        const { task } = await alice.request(
          { method: 'tools/call', params: { name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant: 'task' } }, task: { ttl: 60_000 } } },
          CreateTaskResultSchema,
        );
        await expect(bob.experimental.tasks.getTask(task.taskId)).rejects.toThrow(/not found/i);
        expect((await bob.experimental.tasks.listTasks()).tasks).toEqual([]);
        const result = await alice.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
        expect(textOf(result)).toBe('revealed: user=alice tenant=task');
        expect((await alice.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
        // Round robin sent the task's requests to more than one replica: only the shared store can have answered.
        const upstreams = new Set(
          nginx
            .served()
            .slice(before)
            .map((request) => request.upstream),
        );
        expect(upstreams.size).toBeGreaterThan(1);
      } finally {
        await Promise.all([alice.close(), bob.close()]);
      }
    });
  },
);
