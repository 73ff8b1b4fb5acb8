import { CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { connectClient, textOf } from './support/mcp-clients.js';
import { startNginx, type Nginx } from './support/nginx.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { startReplicas, type Replica } from './support/replicas.js';
import { havePrograms } from './support/system-programs.js';

const SECRET = 'replicas-round-robin-secret';
const USERS = { alice: signJwt(SECRET, { sub: 'alice' }), bob: signJwt(SECRET, { sub: 'bob' }) };
const CALLS_PER_CLIENT = 6;

let stack: Stack;
let replicas: Replica[];
let stopReplicas: () => Promise<void>;
let nginx: Nginx;
let redis: RedisServer;

/** A caller of one era through the balancer, in the v1 call shape; each connection of its own. */
const connect = async (era: 'legacy' | 'modern', token: string, url = nginx.url) => (await connectClient({ url }, { era, token })).client;

/** A balancer of the test's own in front of the same replicas: what it logs is this test's traffic alone. */
async function ownBalancer<T>(run: (own: Nginx) => Promise<T>): Promise<T> {
  const own = await startNginx({ upstreams: replicas.map((replica) => replica.address) });
  try {
    return await run(own);
  } finally {
    await own.close();
  }
}

describe.skipIf(!havePrograms({ nginx: 'nginx-light', 'redis-server': 'redis-server' }))(
  'three replicas behind nginx round robin, no affinity, tasks in Redis',
  () => {
    beforeAll(async () => {
      [stack, redis] = await Promise.all([startStack({ jwtSecret: SECRET }), startRedis()]);
      ({ replicas, close: stopReplicas } = await startReplicas(3, stack.mastra.url, () => ['--stateless', '--redis-url', redis.url], {
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
      await ownBalancer(async (own) => {
        const callers = (['legacy', 'modern'] as const).flatMap((era) => Object.entries(USERS).map(([user, token]) => ({ era, user, token })));
        const outcomes = await Promise.all(
          callers.map(async ({ era, user, token }) => {
            const client = await connect(era, token, own.url);
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

        const posts = own.served().filter((request) => request.method === 'POST');
        expect(posts.every((request) => request.status === 200 || request.status === 202)).toBe(true);
        const perReplica = replicas.map((replica) => posts.filter((request) => request.upstream === replica.address).length);
        // Round robin in one nginx worker rotates strictly: each replica gets close to a third.
        for (const count of perReplica) expect(count).toBeGreaterThanOrEqual(Math.floor(posts.length / 4));
        expect(perReplica.reduce((a, b) => a + b, 0)).toBe(posts.length);
      });
    });

    it('passes an event stream through as it is written: progress arrives before the agent has finished', async () => {
      const client = await connect('legacy', USERS.alice);
      try {
        const progressAt: number[] = [];
        const message = marked('through nginx');
        const result = await client.callTool({ name: 'ask_slow', arguments: { message } }, undefined, { onprogress: () => progressAt.push(Date.now()) });
        expect(textOf(result)).toContain('word10');
        const [upstream] = stack.requestsFor(message);
        expect(progressAt.length).toBeGreaterThan(1);
        // A buffering proxy would hold every event until the run's answer ended the response.
        expect(progressAt[0]!).toBeLessThan(upstream!.endedAt!);
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
      await ownBalancer(async (own) => {
        const [alice, bob] = [
          (await connectClient({ url: own.url }, { token: USERS.alice })).client,
          (await connectClient({ url: own.url }, { token: USERS.bob })).client,
        ];
        try {
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
          const upstreams = new Set(own.served().map((request) => request.upstream));
          expect(upstreams.size).toBeGreaterThan(1);
        } finally {
          await Promise.all([alice.close(), bob.close()]);
        }
      });
    });
  },
);
