import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { BIN, waitFor } from './helpers.js';

export { BIN, waitFor };

export interface BridgeProcess {
  client: Client;
  /** Everything the bin wrote on stderr so far. */
  stderr(): string;
  /** How many `notifications/tools/list_changed` the client received. */
  listChanged(): number;
  /** The pid of the spawned bin, to check that it is still running. */
  pid: number;
  close(): Promise<void>;
}

/** The built bin spawned over stdio, reached by the SDK's own `Client`. */
export async function spawnBridge(args: string[], env: Record<string, string>): Promise<BridgeProcess> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, ...args],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: 'catalogue-test', version: '1.0.0' });
  let notifications = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    notifications += 1;
  });
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    listChanged: () => notifications,
    pid: transport.pid!,
    close: () => client.close(),
  };
}

export const count = (text: string, needle: string) => text.split(needle).length - 1;

export const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
