import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type Bridge } from './support/bridge.js';
import { clientFor, marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { connectClient, ERA_CASES, textOf, type BridgeClient, type Era } from './support/mcp-clients.js';
import { mintingResource, startTokenIssuer, type TokenIssuer } from './support/oauth-token-issuer.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { havePrograms } from './support/system-programs.js';

/**
 * A suspended workflow run belongs to the identity that started it: another user's resume_<id>
 * (answer or cancel) gets the very answer a made-up runId gets, and the run stays as it was in
 * Mastra (its own record of the run says so). Mastra itself would let any user's token continue it.
 */

const SECRET = 'workflow-run-owners-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const bob = signJwt(SECRET, { sub: 'bob' });
/** Lists the tools; every call goes with its caller's own token. */
const serviceToken = signJwt(SECRET, { sub: 'service' });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true, jwtSecret: SECRET });
});
afterAll(() => stack?.close());

type Call = (name: string, args: Record<string, unknown>) => Promise<CallToolResult>;
const connections: BridgeClient[] = [];
afterAll(async () => {
  for (const client of connections) await client.close().catch(() => {});
});

/** A caller of one era holding one user's Mastra token; neither era's client can be asked, so a suspension is a result. */
async function callerOf(url: string, era: Era, token: string): Promise<Call> {
  const { client } = await connectClient({ url }, { era, token });
  connections.push(client);
  return (name, args) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;
}

const runIdIn = (text: string) => /runId "([0-9a-f-]{36})"/.exec(text)?.[1];
/** Mastra's own record of the run, read with its starter's token. */
const statusOf = async (runId: string) => (await clientFor(stack.mastra.url, alice).getWorkflow('expense').runById(runId)).status;

/** Starts an expense run that suspends; answers its runId. */
async function suspendedRun(call: Call): Promise<string> {
  const text = textOf(await call('run_expense', { item: 'desk', amount: 300 }));
  expect(text).toContain('suspended at step "ask-manager"');
  return runIdIn(text)!;
}

/** What a caller is told about `runId`, with the id itself taken out, so that two answers can be compared word for word. */
async function answerAbout(call: Call, runId: string, args: Record<string, unknown>): Promise<{ isError: unknown; text: string }> {
  const result = await call('resume_expense', { runId, ...args });
  return { isError: result.isError, text: textOf(result).replaceAll(runId, '<runId>') };
}

/** Asserts that `call` cannot tell `runId` from a run that does not exist, both to resume and to cancel. */
async function expectNotFound(call: Call, runId: string): Promise<void> {
  const madeUp = randomUUID();
  for (const args of [{ answer: { approved: true, note: 'bob says yes' } }, { cancel: true }]) {
    const foreign = await answerAbout(call, runId, args);
    expect(foreign).toEqual(await answerAbout(call, madeUp, args));
    expect(foreign).toEqual({
      isError: true,
      text: `the Mastra server at ${stack.mastra.url} has no run "<runId>" of the workflow "expense": check the runId (the suspended result names it).`,
    });
  }
}

const eras = ['legacy', 'modern'] as const;

describe.each(ERA_CASES)('a suspended run over HTTP ($era era) belongs to the user who started it', ({ era }) => {
  let bridge: Bridge;
  let open: Bridge;
  beforeAll(async () => {
    const start = (resumeForeignRuns: boolean) =>
      startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', serviceToken, settings: { resumeForeignRuns } });
    [bridge, open] = await Promise.all([start(false), start(true)]);
  });
  afterAll(async () => {
    await Promise.all([bridge?.close(), open?.close()]);
  });

  it("another user's resume and cancel answer exactly as for a run that does not exist; the run stays suspended, and its starter resumes it", async () => {
    const asAlice = await callerOf(bridge.url, era, alice);
    const asBob = await callerOf(bridge.url, era, bob);
    const runId = await suspendedRun(asAlice);

    await expectNotFound(asBob, runId);
    expect(await statusOf(runId)).toBe('suspended');

    const resumed = await asAlice('resume_expense', { runId, answer: { approved: true, note: 'fine' } });
    expect(resumed.structuredContent).toEqual({ status: 'approved: fine' });
  });

  it("a run started in Mastra directly is refused by default, and resumed with --resume-foreign-runs; bridge runs stay their starter's there too", async () => {
    const run = await clientFor(stack.mastra.url, alice).getWorkflow('expense').createRun();
    expect((await run.startAsync({ inputData: { item: 'lamp', amount: 40 } })).status).toBe('suspended');

    await expectNotFound(await callerOf(bridge.url, era, alice), run.runId);
    expect(await statusOf(run.runId)).toBe('suspended');

    const resumed = await (await callerOf(open.url, era, alice))('resume_expense', { runId: run.runId, answer: { approved: false } });
    expect(resumed.structuredContent).toEqual({ status: 'rejected' });

    const mine = await suspendedRun(await callerOf(open.url, era, alice));
    await expectNotFound(await callerOf(open.url, era, bob), mine);
    expect(await statusOf(mine)).toBe('suspended');
  });
});

describe('OAuth sign-in, minted Mastra tokens: the bridge is the only gate, since users hold no Mastra credential', () => {
  const PUBLIC_URL = 'https://mcp.example.test';
  let auth: TokenIssuer;
  let bridge: Bridge;
  beforeAll(async () => {
    auth = await startTokenIssuer();
    const oauth = mintingResource(auth.url, PUBLIC_URL, SECRET);
    bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', settings: { oauth } });
  });
  afterAll(async () => {
    await bridge?.close();
    await auth?.close();
  });
  const signIn = (sub: string) => auth.token({ sub, aud: `${PUBLIC_URL}/mcp`, scope: 'openid' });

  it.each(eras)('%s era: another user is told the run does not exist, and it stays suspended for its starter', async (era) => {
    const runId = await suspendedRun(await callerOf(bridge.url, era, await signIn('alice')));
    await expectNotFound(await callerOf(bridge.url, era, await signIn('bob')), runId);
    expect(await statusOf(runId)).toBe('suspended');
    // A new access token of the same user is the same identity.
    const resumed = await (await callerOf(bridge.url, era, await signIn('alice')))('resume_expense', { runId, cancel: true });
    expect(textOf(resumed)).toContain('was cancelled on the Mastra server');
    expect(await statusOf(runId)).toBe('canceled');
  });
});

const withRedis = havePrograms({ 'redis-server': 'redis-server' });

describe.runIf(withRedis)('replicas sharing Redis', () => {
  let redis: RedisServer;
  const bins: Bridge[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const bin of bins) await bin.close();
    await redis?.stop();
  });
  const replica = async () => {
    const bin = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'http',
      bin: true,
      client: 'none',
      env: { JWT_TOKEN: serviceToken, MCP_REDIS_URL: redis.url, LOG_LEVEL: 'warn' },
    });
    bins.push(bin);
    return bin.url;
  };

  it('know whose a run is whichever replica started it: another user is refused on each, its starter resumes it on the other; Redis holds no token', async () => {
    const [one, two] = await Promise.all([replica(), replica()]);
    const runId = await suspendedRun(await callerOf(one, 'legacy', alice));

    await expectNotFound(await callerOf(two, 'modern', bob), runId);
    await expectNotFound(await callerOf(one, 'legacy', bob), runId);
    expect(await statusOf(runId)).toBe('suspended');

    const resumed = await (await callerOf(two, 'modern', alice))('resume_expense', { runId, answer: { approved: true, note: 'fine' } });
    expect(resumed.structuredContent).toEqual({ status: 'approved: fine' });

    const [record] = await redis.client.keys(`mastra-agents-mcp:run:*${runId}`);
    expect(record).toBe(`mastra-agents-mcp:run:expense:${runId}`);
    expect(await redis.client.pttl(record!)).toBeGreaterThan(23 * 3_600_000);
    const stored = (await redis.client.get(record!))!;
    expect(stored).toMatch(/^[0-9a-f]{64}$/);
    for (const part of alice.split('.')) expect(stored).not.toContain(part);
  });

  it('with Redis down, a workflow that can suspend is not started (no run its starter could not resume), and resume_<id> says it cannot tell whose a run is', async () => {
    const url = await replica();
    const asAlice = await callerOf(url, 'modern', alice);
    const runId = await suspendedRun(asAlice);
    await redis.kill();
    // A token of alice's own for this call (`jti` tells it apart): what Mastra got with it is this call's doing.
    const marker = signJwt(SECRET, { sub: 'alice', jti: marked('refused run') });
    const refused = await (await callerOf(url, 'modern', marker))('run_expense', { item: 'desk', amount: 300 });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(
      /^The workflow "expense" was not started: the record of who started each workflow run \(Redis at redis:\/\/127\.0\.0\.1:\d+\) failed: it cannot be reached\. Try again in a few seconds\.$/,
    );
    expect(stack.mastraRequestsCarrying(marker).filter(({ request }) => request.startsWith('POST '))).toEqual([]);
    expect(textOf(await asAlice('resume_expense', { runId, cancel: true }))).toContain(
      `The bridge cannot tell who started the run "${runId}" of the workflow "expense"`,
    );
    expect(await statusOf(runId)).toBe('suspended');
    // Plain calls of workflows that cannot suspend do not need it.
    expect((await asAlice('run_greet', { name: 'ann', times: 1 })).structuredContent).toEqual({ greeting: 'HELLO ANN!', length: 10 });
  });
});
