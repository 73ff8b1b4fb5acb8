import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { answerOf, postModern } from './support/raw-http.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

/** The HTTP bin started under `prlimit --nofile=SOFT:HARD`, which execs it (so its pid is the bridge's). */
const spawnLimited = (nofile: string) =>
  startBridge({ mastraUrl: stack.mastra.url, transport: 'http', bin: true, client: 'none', launcher: ['prlimit', `--nofile=${nofile}`] });

/** The soft and hard limits on open files of a process ('unlimited' reads as NaN). */
const limitsOf = (pid: number | 'self') => {
  const [, soft, hard] = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))!;
  return { soft: Number(soft), hard: Number(hard) };
};

describe('file descriptors', () => {
  it('the bin runs with its soft limit raised to the hard one (Node does it at start-up)', async () => {
    // Lowering a hard limit needs no privilege; this machine's own may be lower than 4096.
    const hard = Math.min(4096, limitsOf('self').hard || 4096);
    const bridge = await spawnLimited(`64:${hard}`);
    try {
      expect(limitsOf(bridge.child!.pid!)).toEqual({ soft: hard, hard });
    } finally {
      await bridge.close();
    }
  });

  it('200 raw sockets held open against a 64-descriptor bridge lock out neither /healthz nor another caller, and the bridge warns once', async () => {
    const bridge = await spawnLimited('64:64');
    const sockets: Socket[] = [];
    try {
      const { url } = bridge;
      const { port } = new URL(url);
      // A caller already in: a 2025 session, with its event stream open.
      const session = await bridge.connect();
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
      const listed = await postModern(url, 'tools/list');
      expect(listed.status).toBe(200);
      expect(((await answerOf(listed)).result as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
      expect((await session.client.callTool({ name: 'ask_echo', arguments: { message: 'still here' } })).content).toEqual([
        { type: 'text', text: 'echo: still here' },
      ]);
      await session.close();
      const warnings = bridge
        .stderr()
        .match(
          /warn: \d+ client connections are open, the most this process takes \(half the file descriptors left under its limit of 64; raise it with ulimit -n\)/g,
        );
      expect(warnings).toHaveLength(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await bridge.close();
    }
  });
});
