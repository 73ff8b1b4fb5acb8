import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMastraFixture, type MastraFixture } from './fixture/mastra-app.js';
import { startStack, waitFor, type Stack } from './helpers.js';
import { connectHttp, signJwt, spawnHttpBin, type SpawnedBridge } from './http-helpers.js';
import { startRedis, type RedisServer } from './servers/redis.js';
import { havePrograms } from './servers/system-programs.js';

const SECRET = 'redis-agent-gone-secret';
const enabled = havePrograms({ 'redis-server': 'redis-server' });

let stack: Stack;
let redis: RedisServer;
let shrunk: MastraFixture | undefined;
const bins: SpawnedBridge[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  if (!enabled) return;
  [stack, redis] = await Promise.all([startStack({ jwtSecret: SECRET }), startRedis()]);
  for (let i = 0; i < 2; i++)
    bins.push(
      spawnHttpBin(['--log-level', 'info'], { MASTRA_BASE_URL: stack.mastra.url, JWT_TOKEN: signJwt(SECRET, { sub: 'service' }), MCP_REDIS_URL: redis.url }),
    );
  for (const bin of bins) clients.push((await connectHttp(await bin.url)).client);
  // Both replicas listen before the agent goes.
  await waitFor('both replicas to subscribe', async () => Number((await redis.client.pubsub('NUMSUB', 'mastra-agents-mcp:agent-gone'))[1]) === 2);
});
afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  for (const bin of bins) bin.child.kill('SIGKILL');
  await shrunk?.close();
  await redis?.stop();
  await stack?.model.close();
});

const toolNames = async (client: Client) => (await client.listTools()).tools.map((tool) => tool.name);

describe.runIf(enabled)('an agent gone from Mastra, across replicas', () => {
  it('when one replica finds an agent gone (404), the others hear it through Redis and re-list', async () => {
    const [first, second] = clients as [Client, Client];
    expect(await toolNames(second)).toContain('ask_echo');
    // Mastra comes back on the same address without the echo agent; the replicas re-list only every 60s.
    await stack.mastra.close();
    shrunk = await startMastraFixture({ modelUrl: stack.model.url, port: stack.mastra.port, jwtSecret: SECRET, omit: ['echo'] });

    const gone = (await first.callTool({ name: 'ask_echo', arguments: { message: 'are you there?' } })) as CallToolResult;
    expect(gone.isError).toBe(true);
    await waitFor('the other replica to drop ask_echo', async () => !(await toolNames(second)).includes('ask_echo')).catch((error: Error) => {
      throw new Error(`${error.message}\n${bins.map((bin) => bin.stderr()).join('-----\n')}`);
    });
    expect(bins[1]!.stderr()).toContain('another replica found agent "echo" gone');
  });
});
