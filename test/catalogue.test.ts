import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FixtureOptions, MastraFixture } from './fixture/mastra-app.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { clientFor, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { closedPort, waitFor } from './support/waiting.js';
import { catalogueOf } from './support/defaults.js';

/** The fake model; each test starts (and restarts) Mastra servers of its own on it, on ports it chooses. */
let stack: Stack;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  stack = await startStack();
});
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close();
});
afterAll(async () => {
  await stack?.close();
});

async function mastraOn(port: number, options: Omit<FixtureOptions, 'modelUrl' | 'port'> = {}): Promise<MastraFixture> {
  const mastra = await stack.another({ port, ...options });
  open.push(mastra);
  return mastra;
}

async function bridgeTo(url: string, ...args: string[]): Promise<ClientBridge> {
  const bridge = await startBridge({ mastraUrl: url, transport: 'stdio', args: ['--log-level', 'debug', '--retry-max-delay', '200ms', ...args] });
  open.push(bridge);
  return bridge;
}

const count = (text: string, needle: string) => text.split(needle).length - 1;
const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const toolNames = async (bridge: ClientBridge) => (await bridge.client.listTools()).tools.map((tool) => tool.name);
const ask = (bridge: ClientBridge, name: string, message: string) =>
  bridge.client.callTool({ name, arguments: { message } }, undefined, { timeout: 5_000 }) as Promise<CallToolResult>;

describe('a bridge that starts before Mastra', () => {
  it('answers with no tools, says why and that it retries, then loads the agents and tells the client', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    // Re-listing off: only the retry loop can bring the agents in.
    const bridge = await bridgeTo(url, '--refresh-interval', '0');
    expect(await toolNames(bridge)).toEqual([]);
    expect(bridge.stderr()).toContain(`could not load the agents from the Mastra server at ${url}`);
    expect(bridge.stderr()).toContain('ECONNREFUSED');
    // A refused connection is about where Mastra is, not about its token.
    expect(bridge.stderr()).toContain('Is Mastra running, and is MASTRA_BASE_URL its address?');
    expect(bridge.stderr()).not.toContain('JWT_TOKEN');
    expect(bridge.stderr()).toMatch(/Retrying (in|every) \d+ms/);

    await mastraOn(port);
    await waitFor('list_changed', () => bridge.listChanged() === 1);
    const names = await toolNames(bridge);
    expect(names).toHaveLength(10);
    expect(names).toEqual([...names].sort());
    expect(textOf(await ask(bridge, 'ask_echo', 'up now'))).toBe('echo: up now');
    expect(bridge.stderr()).toContain(`serving 10 agents from ${url}`);
    // One shape for every line on stderr.
    for (const line of bridge.stderr().trim().split('\n')) expect(line).toMatch(/^mastra-agents-mcp: (debug|info|warn|error): /);
  });

  it('counts one agent as one agent', async () => {
    const mastra = await mastraOn(await closedPort());
    const bridge = await bridgeTo(mastra.url, '--include', 'echo');
    expect(await toolNames(bridge)).toEqual(['ask_echo']);
    expect(bridge.stderr()).toContain(`serving 1 agent from ${mastra.url}`);
  });

  it('speaks of JWT_TOKEN only when Mastra refuses the listing: here, that none is set', async () => {
    const mastra = await mastraOn(await closedPort(), { jwtSecret: 'a-secret-the-bridge-does-not-have' });
    const bridge = await bridgeTo(mastra.url);
    await waitFor('the refused listing', () => bridge.stderr().includes('could not load the agents'));
    expect(bridge.stderr()).toContain('401');
    expect(bridge.stderr()).toContain('Mastra requires a token and none is set: set JWT_TOKEN.');
  });
});

describe('a bridge that follows Mastra', () => {
  it('keeps its tools through a restart, then shows the new agent set, with list_changed only when it changed', async () => {
    const port = await closedPort();
    const first = await mastraOn(port);
    const bridge = await bridgeTo(first.url, '--refresh-interval', '200ms');
    const before = await toolNames(bridge);
    expect(before).toContain('ask_whoami');

    const unchanged = 'no change';
    await waitFor('two refreshes that change nothing', () => count(bridge.stderr(), unchanged) >= 2);
    expect(bridge.listChanged()).toBe(0);

    await first.close();
    await waitFor('a failed refresh', () => bridge.stderr().includes('keeping the 10 tools it had'));
    expect(await toolNames(bridge)).toEqual(before);
    expect(bridge.listChanged()).toBe(0);

    await mastraOn(port, { omit: ['whoami'], extraAgents: 1 });
    await waitFor('list_changed', () => bridge.listChanged() === 1);
    const after = await toolNames(bridge);
    expect(after).toEqual([...before.filter((name) => name !== 'ask_whoami'), 'ask_bulk-0000'].sort());
    // What changed during the outage is logged as any change is.
    expect(bridge.stderr()).toContain(
      `the agents at ${first.url} changed while it could not be listed: serving 10 agents (added ask_bulk-0000; removed ask_whoami)`,
    );

    const seen = count(bridge.stderr(), unchanged);
    await waitFor('two more refreshes', () => count(bridge.stderr(), unchanged) >= seen + 2);
    expect(bridge.listChanged()).toBe(1);
    expect(await toolNames(bridge)).toEqual(after);
  });

  it('answers calls with isError while Mastra is down, keeps running, and recovers by itself', async () => {
    const port = await closedPort();
    const mastra = await mastraOn(port);
    const bridge = await bridgeTo(mastra.url, '--refresh-interval', '200ms');
    expect(textOf(await ask(bridge, 'ask_echo', 'before'))).toBe('echo: before');

    await mastra.close();
    const down = await ask(bridge, 'ask_echo', 'during');
    expect(down.isError).toBe(true);
    expect(textOf(down)).toContain(`Cannot reach the Mastra server at ${mastra.url}`);
    expect(textOf(down)).toContain('Is Mastra running?');
    expect(isRunning(bridge.pid!)).toBe(true);
    expect(await toolNames(bridge)).toContain('ask_echo');
    await waitFor('a failed refresh', () => bridge.stderr().includes('keeping the 10 tools it had'));

    await mastraOn(port);
    const back = await ask(bridge, 'ask_echo', 'after');
    expect(back.isError).toBeFalsy();
    expect(textOf(back)).toBe('echo: after');
    await waitFor('the refresh loop to see Mastra again', () =>
      bridge.stderr().includes(`the Mastra server at ${mastra.url} answers again: serving the same 10 agents`),
    );
    expect(bridge.listChanged()).toBe(0);
  });

  it('re-lists at once when a call finds its agent gone', async () => {
    const port = await closedPort();
    const first = await mastraOn(port);
    // Re-listing off: only the 404 can make the bridge look again.
    const bridge = await bridgeTo(first.url, '--refresh-interval', '0');
    expect(await toolNames(bridge)).toContain('ask_echo');
    await first.close();
    await mastraOn(port, { omit: ['echo'] });

    const gone = await ask(bridge, 'ask_echo', 'hello?');
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toContain('no longer has agent "echo"');
    await waitFor('list_changed', () => bridge.listChanged() === 1);
    const names = await toolNames(bridge);
    expect(names).not.toContain('ask_echo');
    expect(names).toHaveLength(9);
    expect(bridge.stderr()).toContain('agent "echo" is gone');
  });
});

describe('tool names across listings', () => {
  it('a name once given to an agent never comes to mean another: team.alpha keeps its name when team_alpha appears', async () => {
    const port = await closedPort();
    const first = await mastraOn(port, { omit: ['team_alpha'] });
    // The agents' listing only (no workflows, no memory status): a second request on the pooled socket makes its reuse after the in-process restart race the socket's close.
    const catalogue = catalogueOf(clientFor(first.url), { listWorkflows: false, askMemory: false });
    await catalogue.refresh();
    const dotted = catalogue.tools.find((tool) => tool.agentId === 'team.alpha')!.toolName;
    expect(catalogue.find('ask_team_alpha')).toBeUndefined();

    await first.close();
    await mastraOn(port);
    await catalogue.refresh();
    expect(catalogue.find(dotted)?.agentId).toBe('team.alpha');
    expect(catalogue.find('ask_team_alpha')?.agentId).toBe('team_alpha');
  });
});
