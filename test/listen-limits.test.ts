import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODERN_VERSION, modernClient, startStack, waitFor, type Stack } from './helpers.js';
import { initializeRequest, postRpc, signJwt, startHttpBridge } from './http-helpers.js';

const SECRET = 'listen-limits-test-secret';
const alice = signJwt(SECRET, { sub: 'alice' });
const service = signJwt(SECRET, { sub: 'service-user' });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(async () => {
  await stack?.close();
});

const envelope = {
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** A raw 2026-07-28 request as a conforming client frames it. */
const modernPost = (url: string, method: string, params: Record<string, unknown>, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': method,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: envelope } }),
  });

interface OpenStream {
  response: Response;
  /** Resolves when the bridge ends the stream (or the connection). */
  ended: Promise<void>;
  close(): Promise<void>;
}

/** A raw `subscriptions/listen` held open; a refused one is read to its end. */
async function listen(url: string, token?: string): Promise<OpenStream> {
  const response = await modernPost(url, 'subscriptions/listen', { notifications: { toolsListChanged: true } }, token);
  if (!response.headers.get('content-type')?.includes('text/event-stream')) return { response, ended: Promise.resolve(), close: async () => {} };
  const reader = response.body!.getReader();
  const ended = (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // The bridge destroyed the stream: it ended too.
    }
  })();
  return { response, ended, close: () => reader.cancel().catch(() => {}) };
}

/** A 2025-11-25 session opened raw (an SDK client would add its GET stream), without a token. */
async function openSession(url: string): Promise<Response> {
  const response = await postRpc(url, initializeRequest);
  await response.body?.cancel();
  return response;
}

describe('subscriptions/listen streams count against their identity, as 2025 sessions do', () => {
  it('a token-less caller gets 429 past --max-sessions-per-identity, with sessions and streams counted together; another identity still gets in', async () => {
    const bridge = await startHttpBridge(stack.mastra.url, { serviceToken: service, maxSessionsPerIdentity: 2 });
    try {
      const first = await listen(bridge.url);
      expect(first.response.status).toBe(200);
      expect((await openSession(bridge.url)).status).toBe(200);
      // Both slots of the token-less identity are taken: by one stream and one session.
      const refused = await listen(bridge.url);
      expect(refused.response.status).toBe(429);
      expect(refused.response.headers.get('retry-after')).toBe('30');
      const { error } = (await refused.response.json()) as { error: { message: string } };
      expect(error.message).toContain('2 sessions and listen streams without a token are open, the limit per caller (--max-sessions-per-identity)');
      expect((await openSession(bridge.url)).status).toBe(429);
      // Alice is another identity, with slots of her own.
      const hers = await listen(bridge.url, alice);
      expect(hers.response.status).toBe(200);
      // A closed stream gives its slot back.
      await first.close();
      await waitFor('the slot of the closed stream', async () => {
        const again = await listen(bridge.url);
        if (again.response.status === 200) return again;
        await again.response.body?.cancel();
      });
      await hers.close();
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });

  it('answers 503 past --max-sessions, all identities together', async () => {
    const bridge = await startHttpBridge(stack.mastra.url, { serviceToken: service, maxSessions: 2 });
    try {
      const streams = [await listen(bridge.url), await listen(bridge.url, alice)];
      expect(streams.map((stream) => stream.response.status)).toEqual([200, 200]);
      const refused = await listen(bridge.url, alice);
      expect(refused.response.status).toBe(503);
      expect(await refused.response.text()).toContain('2 open sessions and listen streams, its limit (--max-sessions)');
      expect((await openSession(bridge.url)).status).toBe(503);
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });

  it('ends a listen stream whose caller sends nothing for --session-idle-timeout, and keeps one whose caller is active', async () => {
    const bridge = await startHttpBridge(stack.mastra.url, { serviceToken: service, sessionIdleTimeoutMs: 400 });
    try {
      const client = modernClient();
      await client.connect(new StreamableHTTPClientTransport(new URL(bridge.url), { requestInit: { headers: { Authorization: `Bearer ${alice}` } } }));
      const idle = await client.listen({ toolsListChanged: true });
      // The token-less caller keeps making requests; alice only listens.
      const active = await listen(bridge.url);
      let idleEnded = false;
      void idle.closed.then(() => (idleEnded = true));
      let activeEnded = false;
      void active.ended.then(() => (activeEnded = true));
      const deadline = Date.now() + 10_000;
      while (!idleEnded && Date.now() < deadline) {
        expect((await modernPost(bridge.url, 'tools/list', {})).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(idleEnded).toBe(true);
      // The stream ended by the bridge, not by the client; the active caller's stream outlived the idle one's timeout.
      expect(await idle.closed).toBe('remote');
      expect(activeEnded).toBe(false);
      // Once its caller stops, that stream ends too.
      await waitFor('the active caller’s stream to end once it is idle', () => activeEnded);
      await client.close();
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });
});
