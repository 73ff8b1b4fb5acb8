import { createRequire } from 'node:module';

export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** How the bridge names itself to MCP clients, in both protocol eras. */
export const SERVER_INFO = { name: 'mastra-agents-mcp', title: 'Mastra agents', version: VERSION };
