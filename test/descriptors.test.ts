import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, MODERN_VERSION, startStack, waitFor, type Stack } from './helpers.js';
import { connectHttp } from './http-helpers.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The HTTP bin started under `prlimit --nofile=SOFT:HARD`, which execs it (so its pid is the bridge's). */
function spawnLimited(nofile: string) {
  const child = spawn('prlimit', [`--nofile=${nofile}`, process.execPath, BIN, '--transport', 'http', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', MASTRA_BASE_URL: stack.mastra.url },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const url = waitFor('the listening line', () => /listening on (http:\/\/\S+\/mcp)/.exec(stderr)?.[1]);
  return { child, url, stderr: () => stderr };
}

/** The soft and hard limits on open files of a process ('unlimited' reads as NaN). */
const limitsOf = (pid: number | 'self') => {
  const [, soft, hard] = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))!;
  return { soft: Number(soft), hard: Number(hard) };
};

describe('file descriptors', () => {
  it('the bin runs with its soft limit raised to the hard one (Node does it at start-up)', async () => {
    // Lowering a hard limit needs no privilege; this machine's own may be lower than 4096.
    const hard = Math.min(4096, limitsOf('self').hard || 4096);
    const bridge = spawnLimited(`64:${hard}`);
    try {
      await bridge.url;
      expect(limitsOf(bridge.child.pid!)).toEqual({ soft: hard, hard });
    } finally {
      bridge.child.kill();
    }
  });

  it('200 raw sockets held open against a 64-descriptor bridge lock out neither /healthz nor another caller, and the bridge warns once', async () => {
    const bridge = spawnLimited('64:64');
    const sockets: Socket[] = [];
    try {
      const url = await bridge.url;
      const { port } = new URL(url);
      // A caller already in: a 2025 session, with its event stream open.
      const session = await connectHttp(url);
      // Each socket connects and sends nothing: no request, no answer, held until the bridge closes it.
      await Promise.all(
        Array.from({ length: 200 }, async () => {
          const socket = connect(Number(port), '127.0.0.1');
          sockets.push(socket);
          socket.on('error', () => {});
          await new Promise((resolve) => socket.once('connect', resolve).once('close', resolve));
        }),
      );
      expect((await fetch(new URL('/healthz', url))).status).toBe(200);
      const listed = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': MODERN_VERSION,
          'mcp-method': 'tools/list',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/list',
          params: {
            _meta: {
              'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
              'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        }),
      });
      expect(listed.status).toBe(200);
      expect(((await listed.json()) as { result: { tools: unknown[] } }).result.tools.length).toBeGreaterThan(0);
      expect((await session.client.callTool({ name: 'ask_echo', arguments: { message: 'still here' } })).content).toEqual([
        { type: 'text', text: 'echo: still here' },
      ]);
      await session.client.close();
      const warnings = bridge
        .stderr()
        .match(
          /warn: \d+ client connections are open, the most this process takes \(half the file descriptors left under its limit of 64; raise it with ulimit -n\)/g,
        );
      expect(warnings).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      bridge.child.kill();
    }
  });
});
