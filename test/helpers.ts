import type { MastraClient } from '@mastra/client-js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createServer as createNetServer } from 'node:net';
import { AgentCatalogue } from '../src/agents.js';
import { createMastraClient } from '../src/mastra-client.js';
import { createServer } from '../src/server.js';
import type { TaskBoard } from '../src/task-board.js';
import { startFakeModel, type FakeModel } from './fixture/fake-model.js';
import { startMastraFixture, type FixtureOptions, type MastraFixture } from './fixture/mastra-app.js';

export interface Stack {
  model: FakeModel;
  mastra: MastraFixture;
  close(): Promise<void>;
}

/** A real Mastra server on a free loopback port, with the fake model behind its agents. */
export async function startStack(options: Omit<FixtureOptions, 'modelUrl'> = {}): Promise<Stack> {
  const model = await startFakeModel();
  const mastra = await startMastraFixture({ ...options, modelUrl: model.url });
  return {
    model,
    mastra,
    close: async () => {
      await mastra.close();
      await model.close();
    },
  };
}

/** A client from the product's own factory, for a given Mastra URL. */
export function clientFor(baseUrl: string, token?: string): MastraClient {
  const previous = process.env.MASTRA_BASE_URL;
  process.env.MASTRA_BASE_URL = baseUrl;
  try {
    return createMastraClient(token);
  } finally {
    if (previous === undefined) delete process.env.MASTRA_BASE_URL;
    else process.env.MASTRA_BASE_URL = previous;
  }
}

export interface Connected {
  client: Client;
  catalogue: AgentCatalogue;
  close(): Promise<void>;
}

/** The bridge in this process, reached by a real MCP client over the SDK's in-memory transport. */
export async function connectInMemory(options: { listFrom: string; callTo?: string; token?: string; tasks?: TaskBoard }): Promise<Connected> {
  const catalogue = new AgentCatalogue({ client: clientFor(options.listFrom) });
  await catalogue.refresh();
  const baseUrl = options.callTo ?? options.listFrom;
  const server = createServer({ catalogue, client: clientFor(baseUrl, options.token), baseUrl, tasks: options.tasks });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    catalogue,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

export const textOf = (result: unknown): string =>
  ((result as CallToolResult).content ?? []).map((c) => (c.type === 'text' ? c.text : '')).join('');

/** A loopback port that nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The built bin, as `npm install` leaves it (`npm test` rebuilds it first). */
export const BIN = new URL('../dist/cli.js', import.meta.url).pathname;
