import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';
import { initializeRequest, postModern, postRpc } from './support/raw-http.js';
import { waitFor } from './support/waiting.js';

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

/** A raw 2026-07-28 request as a conforming client frames it. */
const modernPost = (url: string, method: string, params: Record<string, unknown>, token?: string) => postModern(url, method, params, { token });

/** A bridge of its own with these settings; its service token lists the agents. */
const bridgeWith = (settings: NonNullable<Parameters<typeof startBridge>[0]['settings']>) =>
  startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', serviceToken: service, settings });

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
    const bridge = await bridgeWith({ maxSessionsPerIdentity: 2 });
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
      await bridge.close();
    }
  });

  it('answers 503 past --max-sessions, all identities together', async () => {
    const bridge = await bridgeWith({ maxSessions: 2 });
    try {
      const streams = [await listen(bridge.url), await listen(bridge.url, alice)];
      expect(streams.map((stream) => stream.response.status)).toEqual([200, 200]);
      const refused = await listen(bridge.url, alice);
      expect(refused.response.status).toBe(503);
      expect(await refused.response.text()).toContain('2 open sessions and listen streams, its limit (--max-sessions)');
      expect((await openSession(bridge.url)).status).toBe(503);
    } finally {
      await bridge.close();
    }
  });

  it('ends a listen stream whose caller sends nothing for --session-idle-timeout, and keeps one whose caller is active', async () => {
    const bridge = await bridgeWith({ sessionIdleTimeoutMs: 400 });
    try {
      const { modern: client } = await bridge.connect({ era: 'modern', token: alice });
      const idle = await client!.listen({ toolsListChanged: true });
      // The token-less caller keeps making requests; alice only listens.
      const active = await listen(bridge.url);
      let idleEnded = false;
      void idle.closed.then(() => (idleEnded = true));
      let activeEnded = false;
      void active.ended.then(() => (activeEnded = true));
      const deadline = Date.now() + 10_000;
      while (!idleEnded && Date.now() < deadline) {
        expect((await modernPost(bridge.url, 'tools/list', {})).status).toBe(200);
        // The pace of a caller that keeps working; the loop ends on the idle stream's end, not on time.
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(idleEnded).toBe(true);
      // The stream ended by the bridge, not by the client; the active caller's stream outlived the idle one's timeout.
      expect(await idle.closed).toBe('remote');
      expect(activeEnded).toBe(false);
      // Once its caller stops, that stream ends too.
      await waitFor('the active caller’s stream to end once it is idle', () => activeEnded);
    } finally {
      await bridge.close();
    }
  });
});
