import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from './helpers.js';
import { signJwt, spawnHttpBin } from './http-helpers.js';
import { spawnBridge } from './stdio-client.js';

const SECRET = 'service-token-secret';
const service = signJwt(SECRET, { sub: 'svc' });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(async () => {
  await stack?.close();
});

const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('mastra-agents-mcp: error:'));

describe('the service token (JWT_TOKEN) as the bin reads it and speaks of it', () => {
  it('says that no token is set when Mastra refuses the token-less listing, rather than asking whether it accepts one', async () => {
    const bridge = await spawnBridge([], { MASTRA_BASE_URL: stack.mastra.url });
    try {
      const line = await waitFor('the listing error', () => errorLines(bridge.stderr())[0]);
      expect(line).toContain('Mastra requires a token and none is set: set JWT_TOKEN');
      expect(line).not.toContain('does it accept JWT_TOKEN');
    } finally {
      await bridge.close();
    }
  });

  it('still asks whether Mastra accepts JWT_TOKEN when one is set and refused', async () => {
    const bridge = await spawnBridge([], { MASTRA_BASE_URL: stack.mastra.url, JWT_TOKEN: signJwt('another-secret', { sub: 'svc' }) });
    try {
      expect(await waitFor('the listing error', () => errorLines(bridge.stderr())[0])).toContain('Mastra refused the listing: does it accept JWT_TOKEN?');
    } finally {
      await bridge.close();
    }
  });

  it('takes a leading "Bearer " off JWT_TOKEN, says so, and lists with the token', async () => {
    const bridge = await spawnBridge([], { MASTRA_BASE_URL: stack.mastra.url, JWT_TOKEN: `Bearer ${service}` });
    try {
      expect((await bridge.client.listTools()).tools).toHaveLength(10);
      const stderr = bridge.stderr();
      expect(stderr).toContain('mastra-agents-mcp: warn: JWT_TOKEN starts with "Bearer ", which the bridge adds itself: using the token without it');
      expect(errorLines(stderr)).toEqual([]);
      expect(stderr).not.toContain(service);
    } finally {
      await bridge.close();
    }
  });

  it("reads MASTRA_JWT_TOKEN, the name Mastra's docs use, when JWT_TOKEN is unset", async () => {
    const bridge = await spawnBridge([], { MASTRA_BASE_URL: stack.mastra.url, MASTRA_JWT_TOKEN: service });
    try {
      expect((await bridge.client.listTools()).tools).toHaveLength(10);
      expect(errorLines(bridge.stderr())).toEqual([]);
    } finally {
      await bridge.close();
    }
  });

  it('logs no error at start for an HTTP bridge without JWT_TOKEN, whose callers list with their own tokens', async () => {
    const bridge = spawnHttpBin(['--shutdown-grace', '100ms'], { MASTRA_BASE_URL: stack.mastra.url });
    try {
      await bridge.url;
      const line = await waitFor('the listing line', () =>
        bridge
          .stderr()
          .split('\n')
          .find((text) => text.includes('requires a token to list its agents')),
      );
      expect(line).toMatch(
        /^mastra-agents-mcp: info: the Mastra server at \S+ requires a token to list its agents, and JWT_TOKEN is not set: each caller that brings a token sees the agents its token lists/,
      );
      expect(errorLines(bridge.stderr())).toEqual([]);
    } finally {
      bridge.child.kill('SIGTERM');
      await bridge.exited;
    }
  });
});
