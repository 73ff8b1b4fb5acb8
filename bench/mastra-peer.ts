import { MCPServer } from '@mastra/mcp';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MastraFixture } from '../test/fixture/mastra-app.js';

/**
 * The peer a user would pick instead of the bridge: Mastra's own MCPServer 2.0 (MCP 2026-07-28
 * only), serving the fixture's agents in this process, without the bridge's REST hop to Mastra.
 */
export async function startMastraMcpPeer(mastra: MastraFixture, agentIds: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = new MCPServer({
    id: 'bench-peer',
    name: 'Mastra MCPServer (bench peer)',
    version: '1.0.0',
    tools: {},
    agents: Object.fromEntries(agentIds.map((id) => [id, mastra.agents[id]!])),
  });
  const http = createServer((req, res) => {
    void server.startHTTP({ url: new URL(req.url ?? '/', 'http://127.0.0.1'), httpPath: '/mcp', req, res });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await server.close();
    },
  };
}
