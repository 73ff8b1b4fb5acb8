import { createRequire } from 'node:module';

// Two folders up, from src/kernel/ as from dist/kernel/.
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** How the bridge names itself to MCP clients, in both protocol eras. */
export const SERVER_INFO = { name: 'mastra-agents-mcp', title: 'Mastra agents', version: VERSION };
