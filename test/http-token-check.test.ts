import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey } from '../src/identity/failed-checks.js';
import { startBridge, type Bridge, type BridgeOptions } from './support/bridge.js';
import { startCuttableRelay } from './support/cuttable-relay.js';
import { clientFor, marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { connectClient, textOf } from './support/mcp-clients.js';
import { initializeRequest, postRpc } from './support/raw-http.js';
import { closedPort, waitFor } from './support/waiting.js';
import { catalogueOf, httpDefaults } from './support/defaults.js';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';

const SECRET = 'http-token-check-secret';
const service = signJwt(SECRET, { sub: 'svc' });
/** A token of a user no other test is: its checks are the only listings that carry it. */
const tokenOf = (user: string) => signJwt(SECRET, { sub: marked(user) });

let stack: Stack;
const closers: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await stack?.close();
});

/** The bridge in this process, closed after the file. */
async function bridgeWith(settings: BridgeOptions['settings'], more: Partial<BridgeOptions> = { serviceToken: service }) {
  const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', settings, ...more });
  closers.push(() => bridge.close());
  return bridge;
}

const connected = async (bridge: Bridge | string, token?: string) => {
  const connection = typeof bridge === 'string' ? await connectClient({ url: bridge }, { token }) : await bridge.connect({ token });
  closers.push(() => connection.close());
  return connection;
};

/** The listings Mastra was asked for with `token`: each is one check of it. */
const listingsWith = (token: string) => stack.mastraRequestsCarrying(token).filter(({ request }) => request === 'GET /api/agents').length;
const toolNames = async (url: string, token: string) => (await (await connected(url, token)).client.listTools()).tools.map((tool) => tool.name);

describe('tokens are checked with Mastra before anything is served', () => {
  it('answers a token Mastra refuses with 403 at once: no session, no tools, and the token never echoed', async () => {
    const bridge = await bridgeWith({ requireToken: true });
    const expired = signJwt(SECRET, { sub: 'late', exp: Math.floor(Date.now() / 1000) - 60 });
    const garbage = marked('not-a-jwt');
    for (const token of [garbage, expired, signJwt('another-secret', { sub: 'mallory' })]) {
      const response = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${token}` });
      expect(response.status).toBe(403);
      expect(response.headers.get('mcp-session-id')).toBeNull();
      const text = await response.text();
      expect(text).toContain('the Mastra server refused this token (HTTP 401');
      expect(text).not.toContain(token);
    }
    // The refusal is kept too: the same token again is refused without asking Mastra.
    expect((await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${garbage}` })).status).toBe(403);
    expect(listingsWith(garbage)).toBe(1);
  });

  it('checks a token once for all its sessions, concurrent ones included, and another token on its own', async () => {
    const bridge = await bridgeWith({});
    const [carol, dave] = [tokenOf('carol'), tokenOf('dave')];
    const sessions = await Promise.all(Array.from({ length: 5 }, () => connected(bridge, carol)));
    expect(listingsWith(carol)).toBe(1);
    for (const { client } of sessions) expect((await client.listTools()).tools).toHaveLength(10);
    await connected(bridge, dave);
    expect(listingsWith(carol)).toBe(1);
    expect(listingsWith(dave)).toBe(1);
  });

  it('re-checks the token of an open session once its check is older than the TTL, and serves nothing more once Mastra refuses it', async () => {
    const bridge = await bridgeWith({ tokenCheckTtlMs: 200 });
    const shortLived = signJwt(SECRET, { sub: 'brief', exp: Math.floor(Date.now() / 1000) + 2 });
    const opened = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${shortLived}` });
    await opened.body?.cancel();
    const headers = { 'mcp-session-id': opened.headers.get('mcp-session-id')!, authorization: `Bearer ${shortLived}` };
    const list = () => postRpc(bridge.url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers);
    expect((await list()).status).toBe(200);
    const refused = await waitFor(
      'the expired token to be refused',
      async () => {
        const response = await list();
        return response.status === 403 ? response.text() : void (await response.body?.cancel());
      },
      6_000,
    );
    expect(refused).toContain('the Mastra server refused this token');
  });

  it('keeps serving a caller Mastra accepted before when a re-check cannot reach Mastra', async () => {
    const relay = await startCuttableRelay(stack.mastra.port);
    const bridge = await bridgeWith({ tokenCheckTtlMs: 200, clientForToken: (token) => clientFor(relay.url, token) });
    const dave = tokenOf('dave');
    const { client } = await connected(bridge, dave);
    const checkedAt = Date.now();
    await relay.cut();
    // The TTL must pass by the clock for a re-check to be due: this waits out time, it proves nothing by itself.
    await new Promise((resolve) => setTimeout(resolve, checkedAt + 300 - Date.now()));
    // The next request re-checks, cannot reach Mastra, and trusts the earlier check.
    expect((await client.listTools()).tools).toHaveLength(10);
    expect(listingsWith(dave)).toBe(1);
  });

  it('answers 503 that says so when Mastra cannot be reached to check the token', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const bridge = await bridgeWith({ clientForToken: (token) => clientFor(dead, token) });
    const response = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${tokenOf('carol')}` });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.text()).toContain(`cannot check the token with the Mastra server at ${stack.mastra.url}`);
  });

  it('without JWT_TOKEN, each caller sees its own listing, and /readyz says so', async () => {
    // Mastra auth on and no service token: the service-level listing fails, which used to leave every caller 0 tools.
    const bridge = await bridgeWith({}, {});
    const { client } = await connected(bridge, tokenOf('carol'));
    expect((await client.listTools()).tools).toHaveLength(10);
    expect(textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'hi' } }))).toMatch(/^revealed: user=carol-\S+ tenant=none$/);
    const ready = await fetch(`${new URL(bridge.url).origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', catalogueLoaded: false, serviceToken: false, catalogue: 'per-caller' });
  });

  it('with JWT_TOKEN, callers see the service-level listing; with --per-user-catalogue, their own', async () => {
    // A service-level catalogue that offers less than Mastra lists tells the two listings apart.
    const echoOnly = catalogueOf(clientFor(stack.mastra.url, service), { filter: { include: ['echo'] } });
    await echoOnly.refresh();
    const shared = await bridgeWith({ catalogue: echoOnly });
    const own = await bridgeWith({ catalogue: echoOnly, perUserCatalogue: true });
    const carol = tokenOf('carol');
    expect(await toolNames(shared.url, carol)).toEqual(['ask_echo']);
    expect(await toolNames(own.url, carol)).toHaveLength(10);
    expect(await (await fetch(`${new URL(own.url).origin}/readyz`)).json()).toMatchObject({ serviceToken: true, catalogue: 'per-caller' });
  });

  it("a caller's own listing is made with the service-level listing's settings: filter, prefix, --describe-from-instructions", async () => {
    const excerpt = 'Adds numbers with the add tool';
    const listing = { ...httpDefaults().listing, toolPrefix: 'mine_', filter: { include: ['calculator'], exclude: undefined } };
    const describedBy = async (describeFromInstructions: boolean) => {
      const bridge = await bridgeWith({ perUserCatalogue: true, listing: { ...listing, describeFromInstructions } });
      const { tools } = await (await connected(bridge.url, tokenOf('frank'))).client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['mine_calculator']);
      return tools[0]!.description;
    };
    expect(await describedBy(false)).not.toContain(excerpt);
    const described = await describedBy(true);
    expect(described).toContain(excerpt);
    expect(described).not.toContain(SYSTEM_PROMPT_SECRET);
  });
});

describe('session slots', () => {
  it('a flood of refused tokens holds no slot, one token cannot take them all, and others still get in', async () => {
    // More refusals than the default limit of failed checks per address allow: the limit is tested below.
    const bridge = await bridgeWith({ maxSessions: 3, maxSessionsPerIdentity: 2, failedTokenChecks: { ...httpDefaults().failedTokenChecks, burst: 100 } });
    const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => postRpc(bridge.url, initializeRequest, { authorization: `Bearer garbage-${i}` })));
    expect(flood.map((response) => response.status)).toEqual(Array(40).fill(403));
    // SDK clients: each holds its GET stream open.
    const [carol, dave, erin] = [tokenOf('carol'), tokenOf('dave'), tokenOf('erin')];
    await connected(bridge, carol);
    await connected(bridge, carol);
    const third = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${carol}` });
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('30');
    expect(await third.text()).toContain('--max-sessions-per-identity');
    const { client } = await connected(bridge, dave);
    expect(textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'in' } }))).toMatch(/^revealed: user=dave-\S+ tenant=none$/);
    const full = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${erin}` });
    expect(full.status).toBe(503);
    expect(await full.text()).toContain('--max-sessions');
  });
});

describe('failed token checks per client address', () => {
  it('counts an IPv4-mapped address as its IPv4 address, and an IPv6 caller by its /64', () => {
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::99')).toBe(addressKey('2001:db8:1:2:ffff::1'));
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });

  it('lists at Mastra for at most 20 garbage tokens from one address, then answers 429 with Retry-After; a token accepted before keeps working', async () => {
    const bridge = await bridgeWith({});
    const { client } = await connected(bridge, tokenOf('carol'));
    const garbage = marked('garbage');
    const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${garbage}-${i}` })));
    expect(listingsWith(garbage)).toBeLessThanOrEqual(20);
    const statuses = flood.map((response) => response.status);
    expect(statuses.filter((status) => status === 403).length).toBeLessThanOrEqual(20);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(180);
    const limited = flood.find((response) => response.status === 429)!;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(10);
    expect(await limited.text()).toContain('too many token checks from your address failed');
    // Carol's token was accepted before the flood: her session is served from the bridge's memory of that check.
    expect((await client.listTools()).tools).toHaveLength(10);
    // A token the bridge has not seen needs a check, and that is what the address has used up.
    const dave = tokenOf('dave');
    const fresh = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${dave}` });
    expect(fresh.status).toBe(429);
    expect(listingsWith(dave)).toBe(0);
    expect(listingsWith(garbage)).toBeLessThanOrEqual(20);
  });

  it('spends nothing on tokens Mastra accepts: more new valid tokens than the burst all get in', async () => {
    const bridge = await bridgeWith({});
    for (let i = 0; i < 30; i++) {
      const answer = await postRpc(bridge.url, initializeRequest, { authorization: `Bearer ${signJwt(SECRET, { sub: `user-${i}` })}` });
      expect(answer.status).toBe(200);
      await answer.body?.cancel();
    }
  });
});
