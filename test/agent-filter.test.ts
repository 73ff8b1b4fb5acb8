import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filterAgentIds, globToRegExp } from '../src/catalogue/agent-filter.js';
import { keepCatalogueFresh } from '../src/catalogue/refresh.js';
import { createLogger } from '../src/log.js';
import { SYSTEM_PROMPT_SECRET } from './fixture/mastra-app.js';
import { runBin } from './support/bin.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { clientFor, startStack, type Stack } from './support/mastra.js';
import { waitFor } from './support/waiting.js';
import { catalogueOf, refreshDefaults } from './support/defaults.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const toolNames = async (bridge: ClientBridge) => (await bridge.client.listTools()).tools.map((tool) => tool.name);

/** The bin over stdio on `mastraUrl`, with these flags and environment. */
const spawnBridge = (mastraUrl: string, args: string[], env: Record<string, string> = {}) => startBridge({ mastraUrl, transport: 'stdio', args, env });

async function namesWith(args: string[], env: Record<string, string> = {}) {
  const bridge = await spawnBridge(stack.mastra.url, args, env);
  try {
    return { names: await toolNames(bridge), stderr: bridge.stderr() };
  } finally {
    await bridge.close();
  }
}

describe('globs', () => {
  it('* matches any run of characters; everything else is literal', () => {
    expect(globToRegExp('team*').test('team.alpha')).toBe(true);
    expect(globToRegExp('*alpha').test('team_alpha')).toBe(true);
    expect(globToRegExp('team.alpha').test('teamXalpha')).toBe(false);
    expect(globToRegExp('echo').test('echo2')).toBe(false);
    expect(globToRegExp('a+b(c)').test('a+b(c)')).toBe(true);
  });

  it('exclude wins over include, and includes that match nothing are reported', () => {
    expect(filterAgentIds(['a1', 'a2', 'b1'], { include: ['a*', 'zz*'], exclude: ['a2'] })).toEqual({
      kept: ['a1'],
      unmatchedIncludes: ['zz*'],
    });
  });
});

describe('choosing what to expose', () => {
  it('--include, --exclude and --tool-prefix pick and name the tools', async () => {
    const { names } = await namesWith(['--include', 'team*, echo,calc*', '--exclude', 'team.alpha', '--tool-prefix', 'mastra_']);
    expect(names).toEqual(['mastra_calculator', 'mastra_echo', 'mastra_team_alpha']);
  });

  it('the environment twins do the same (an empty one counts as unset), and an empty --tool-prefix leaves the bare agent id', async () => {
    const { names } = await namesWith([], { MCP_INCLUDE_AGENTS: 'echo,broken', MCP_EXCLUDE_AGENTS: 'broken', MCP_TOOL_PREFIX: '' });
    expect(names).toEqual(['ask_echo']);
    const bare = await namesWith(['--tool-prefix', '', '--include', 'echo']);
    expect(bare.names).toEqual(['echo']);
  });

  it('--describe-from-instructions (and its env twin) describes an agent without a description by its first paragraph', async () => {
    const excerpt = 'Adds numbers with the add tool';
    const describe = async (args: string[], env: Record<string, string> = {}) => {
      const bridge = await spawnBridge(stack.mastra.url, ['--include', 'calculator', ...args], env);
      try {
        return (await bridge.client.listTools()).tools[0]!.description;
      } finally {
        await bridge.close();
      }
    };
    expect(await describe([])).not.toContain(excerpt);
    for (const described of [await describe(['--describe-from-instructions']), await describe([], { MCP_DESCRIBE_FROM_INSTRUCTIONS: '1' })]) {
      expect(described).toContain(excerpt);
      expect(described).not.toContain(SYSTEM_PROMPT_SECRET);
    }
  });

  it('--help lists the settings', () => {
    const help = runBin(['--help']).stdout;
    for (const name of [
      '--include',
      'MCP_INCLUDE_AGENTS',
      '--exclude',
      'MCP_EXCLUDE_AGENTS',
      '--tool-prefix',
      'MCP_TOOL_PREFIX',
      '--refresh-interval',
      'MCP_REFRESH_INTERVAL',
      '--retry-max-delay',
      'MCP_RETRY_MAX_DELAY',
      '--describe-from-instructions',
      'MCP_DESCRIBE_FROM_INSTRUCTIONS',
    ])
      expect(help).toContain(name);
  });

  it('an include that matches nothing is a warning naming the agents there are', async () => {
    const { names, stderr } = await namesWith(['--include', 'nope*,echo']);
    expect(names).toEqual(['ask_echo']);
    expect(stderr).toContain(`warn: the include filter "nope*" matches no agent at ${stack.mastra.url}; the agents there are: `);
    expect(stderr).toContain('broken, calculator, echo');
  });

  it.each([
    [['--tool-prefix', 'ask me'], '--tool-prefix="ask me" must be at most 32 characters from A-Z a-z 0-9 _ -'],
    [['--tool-prefix', 'x'.repeat(33)], '--tool-prefix='],
    [['--include', ' , '], '--include=" , " must be a comma-separated list of agent ids'],
    [['--refresh-interval', 'soon'], '--refresh-interval="soon" must be 0 (turns re-listing off) or a duration of at least 100ms'],
    [['--refresh-interval', '10ms'], '--refresh-interval="10ms" must be 0'],
    [['--retry-max-delay', '0'], '--retry-max-delay="0" must be a duration of at least 100ms'],
  ])('%j exits 1 with one line naming the setting', (args, expected) => {
    const run = runBin(args);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mastra-agents-mcp: error: invalid configuration: /);
    expect(lines[0]).toContain(expected);
  });

  it('the environment twin of a bad value is named too', () => {
    const run = runBin([], { MCP_REFRESH_INTERVAL: '-1' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toContain('MCP_REFRESH_INTERVAL="-1" must be 0');
  });
});

describe('a hung Mastra', () => {
  it('cannot stall the refresh loop: a listing without an answer fails after the list timeout and is retried', async () => {
    // A port that accepts connections and never answers, as a stopped (SIGSTOP) process would.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const lines: string[] = [];
    const catalogue = catalogueOf(clientFor(url));
    const refresher = keepCatalogueFresh({
      ...refreshDefaults(),
      catalogue,
      baseUrl: url,
      logger: createLogger('debug', (line) => lines.push(line)),
      listTimeoutMs: 200,
      retryMaxDelayMs: 100,
    });
    try {
      await refresher.firstAttempt;
      expect(lines.join('')).toContain(`could not load the agents from the Mastra server at ${url}: no answer to GET /agents within 200ms`);
      await waitFor('a second attempt', () => lines.some((line) => line.includes('still cannot list')), 5_000);
      expect(catalogue.tools).toEqual([]);
    } finally {
      refresher.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('a listing past its deadline', () => {
  it('is aborted itself: the upstream that never answers GET /api/agents sees its socket closed', async () => {
    let arrived!: () => void;
    let closed!: () => void;
    const listingArrived = new Promise<void>((resolve) => (arrived = resolve));
    const socketClosed = new Promise<void>((resolve) => (closed = resolve));
    const hung = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      if (req.method !== 'GET' || !req.url?.startsWith('/api/agents')) return void res.writeHead(404).end();
      req.socket.once('close', closed);
      arrived();
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hung.address() as { port: number }).port}`;
    // One attempt only: the retry is far off, so the closed socket can only be the timed-out listing's.
    const refresher = keepCatalogueFresh({
      ...refreshDefaults(),
      catalogue: catalogueOf(clientFor(url)),
      baseUrl: url,
      listTimeoutMs: 300,
      firstRetryDelayMs: 60_000,
    });
    try {
      await listingArrived;
      await refresher.firstAttempt;
      // Without the abort, undici keeps that socket for its 300 s headers timeout.
      await socketClosed;
    } finally {
      refresher.stop();
      hung.closeAllConnections();
      await new Promise((resolve) => hung.close(resolve));
    }
  });
});

describe('a thousand agents', () => {
  let big: Stack;
  beforeAll(async () => {
    big = await startStack({ extraAgents: 990 });
  });
  afterAll(async () => {
    await big?.close();
  });

  it('are all registered with unique, valid names, in a stable order', async () => {
    const client = clientFor(big.mastra.url);
    const listStart = performance.now();
    const listing = await client.listAgents(undefined, true);
    const listMs = performance.now() - listStart;
    expect(Object.keys(listing)).toHaveLength(1000);

    const catalogue = catalogueOf(client);
    const refreshStart = performance.now();
    await catalogue.refresh();
    const refreshMs = performance.now() - refreshStart;

    const bridge = await spawnBridge(big.mastra.url, ['--refresh-interval', '0']);
    try {
      const names = await toolNames(bridge);
      // The raw request: Client.listTools() adds the client's own validator compilation for each outputSchema.
      const rawStart = performance.now();
      await bridge.client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema);
      const toolsListMs = performance.now() - rawStart;
      expect(names).toHaveLength(1000);
      expect(new Set(names).size).toBe(1000);
      for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(names).toEqual([...names].sort());
      expect(names).toContain('ask_bulk-0989');
      expect(await toolNames(bridge)).toEqual(names);
      // Figures for the record, not assertions: timings depend on the machine.
      process.stderr.write(
        `1000 agents: GET /agents?partial=true ${listMs.toFixed(0)}ms; listing + building the catalogue ${refreshMs.toFixed(0)}ms; tools/list over stdio ${toolsListMs.toFixed(0)}ms\n`,
      );
    } finally {
      await bridge.close();
    }
  });

  it('learns which of them have memory without holding up the listing: in the end only those offer threadId', async () => {
    const catalogue = catalogueOf(clientFor(big.mastra.url));
    await catalogue.refresh();
    expect(catalogue.tools).toHaveLength(1000);
    // Answers that come after the listing replace the tools, as any change does.
    await waitFor('an answer for every agent', () => catalogue.tools.every((tool) => tool.hasMemory !== undefined), 60_000);
    const memoryOf = (agentId: string) => catalogue.tools.find((tool) => tool.agentId === agentId)?.hasMemory;
    expect([memoryOf('notes'), memoryOf('echo'), memoryOf('bulk-0989')]).toEqual([true, false, false]);
  });

  it('a long agent list in the no-match warning is cut short', async () => {
    const bridge = await spawnBridge(big.mastra.url, ['--include', 'nobody']);
    try {
      expect(await toolNames(bridge)).toEqual([]);
      expect(bridge.stderr()).toMatch(/the agents there are: .*, … and 980 more/);
    } finally {
      await bridge.close();
    }
  });
});
