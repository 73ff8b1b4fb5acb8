import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';
import type { BridgeClient } from './support/mcp-clients.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { havePrograms } from './support/system-programs.js';
import { waitFor } from './support/waiting.js';

const SECRET = 'redis-agent-gone-secret';
const enabled = havePrograms({ 'redis-server': 'redis-server' });

let stack: Stack;
let redis: RedisServer;
const bins: ClientBridge[] = [];

beforeAll(async () => {
  if (!enabled) return;
  [stack, redis] = await Promise.all([startStack({ jwtSecret: SECRET }), startRedis()]);
  const env = { JWT_TOKEN: signJwt(SECRET, { sub: 'service' }), MCP_REDIS_URL: redis.url };
  const start = () => startBridge({ mastraUrl: stack.mastra.url, transport: 'http', bin: true, args: ['--log-level', 'info'], env });
  bins.push(...(await Promise.all([start(), start()])));
  // Both replicas listen before the agent goes.
  await waitFor('both replicas to subscribe', async () => Number((await redis.client.pubsub('NUMSUB', 'mastra-agents-mcp:agent-gone'))[1]) === 2);
});
afterAll(async () => {
  for (const bin of bins) await bin.close();
  await redis?.stop();
  await stack?.close();
});

const toolNames = async (client: BridgeClient) => (await client.listTools()).tools.map((tool) => tool.name);

describe.runIf(enabled)('an agent gone from Mastra, across replicas', () => {
  it('when one replica finds an agent gone (404), the others hear it through Redis and re-list', async () => {
    const [first, second] = bins.map((bin) => bin.client) as [BridgeClient, BridgeClient];
    expect(await toolNames(second)).toContain('ask_echo');
    // Mastra comes back on the same address without the echo agent; the replicas re-list only every 60s.
    await stack.mastra.close();
    await stack.another({ port: stack.mastra.port, jwtSecret: SECRET, omit: ['echo'] });

    const gone = (await first.callTool({ name: 'ask_echo', arguments: { message: 'are you there?' } })) as CallToolResult;
    expect(gone.isError).toBe(true);
    await waitFor('the other replica to drop ask_echo', async () => !(await toolNames(second)).includes('ask_echo')).catch((error: Error) => {
      throw new Error(`${error.message}\n${bins.map((bin) => bin.stderr()).join('-----\n')}`);
    });
    expect(bins[1]!.stderr()).toContain('another replica found agent "echo" gone');
  });
});
