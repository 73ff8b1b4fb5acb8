import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ServerOptions } from '../../src/protocol/legacy/server.js';
import { startBridge, type ClientBridge } from './bridge.js';
import type { Era } from './mcp-clients.js';

/** Server settings a test may change; over stdio they become flags of the bin where it has them. */
export type BridgeSettings = { callTimeoutMs?: number; progress?: Partial<ServerOptions['progress']> };

/** One way a client reaches the bridge; a test body that takes one runs over each. */
export interface BridgeWay {
  name: string;
  era: Era;
  /** Whether the progress pacing (heartbeat, coalescing) can be set; the bin has no flags for it. */
  pacing: boolean;
  start(mastraUrl: string, settings?: BridgeSettings): Promise<ClientBridge>;
}

const bin =
  (era: Era) =>
  (mastraUrl: string, settings: BridgeSettings = {}) =>
    startBridge({
      mastraUrl,
      transport: 'stdio',
      era,
      args: settings.callTimeoutMs === undefined ? [] : ['--call-timeout', `${settings.callTimeoutMs}ms`],
      env: { LOG_LEVEL: 'warn' },
    });

/** Every era over every transport it has: 2026-07-28 has no in-memory link here. */
export const bridgeWays: BridgeWay[] = [
  { name: 'in-memory', era: 'legacy', pacing: true, start: (mastraUrl, settings) => startBridge({ mastraUrl, transport: 'in-memory', settings }) },
  { name: 'stdio', era: 'legacy', pacing: false, start: bin('legacy') },
  { name: 'http', era: 'legacy', pacing: true, start: (mastraUrl, settings) => startBridge({ mastraUrl, transport: 'http', settings }) },
  { name: 'stdio 2026-07-28', era: 'modern', pacing: false, start: bin('modern') },
  {
    name: 'http 2026-07-28',
    era: 'modern',
    pacing: true,
    start: (mastraUrl, settings) => startBridge({ mastraUrl, transport: 'http', era: 'modern', settings }),
  },
];

/** The 2025-11-25 ways only, for tests of what that era alone has (logging/setLevel, raw v1 requests). */
export const legacyBridgeWays = bridgeWays
  .filter((way) => way.era === 'legacy')
  .map((way) => ({ ...way, start: (mastraUrl: string, settings?: BridgeSettings) => way.start(mastraUrl, settings) as Promise<ClientBridge<Client>> }));
