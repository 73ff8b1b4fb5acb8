import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './support/bin.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { marked, signJwt, startStack, type Stack } from './support/mastra.js';
import { startNginx, type Nginx } from './support/nginx.js';
import { initializeRequest, postRpcFrom } from './support/raw-http.js';
import { havePrograms } from './support/system-programs.js';

const SECRET = 'trust-proxy-secret';
/** nginx connects to the bridge from this address; the clients connect to nginx from others. */
const PROXY = '127.0.0.2';
const [MALLORY, CAROL] = ['127.0.0.3', '127.0.0.4'];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(() => stack?.close());

/** Runs `test` against a bridge (with `trustProxy`, or none) behind its own nginx, which appends the client's address to X-Forwarded-For. */
async function behindNginx(trustProxy: string[] | undefined, test: (nginx: Nginx) => Promise<void>): Promise<void> {
  const bridge: Bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', client: 'none', settings: { trustProxy } });
  const nginx = await startNginx({ upstreams: [new URL(bridge.url).host], proxyBind: PROXY }).catch(async (error: unknown) => {
    await bridge.close();
    throw error;
  });
  try {
    await test(nginx);
  } finally {
    await nginx.close();
    await bridge.close();
  }
}

/** Mallory's flood of made-up tokens, some claiming another address in X-Forwarded-For: what each got. */
async function flood(url: string): Promise<number[]> {
  const garbage = marked('garbage');
  return Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      postRpcFrom(MALLORY, url, initializeRequest, { authorization: `Bearer ${garbage}-${i}`, ...(i % 2 ? { 'x-forwarded-for': `198.51.100.${i}` } : {}) }),
    ),
  );
}

describe.skipIf(!havePrograms({ nginx: 'nginx-light' }))('--trust-proxy: callers behind a reverse proxy count by their own address', () => {
  it('one client spending its failed checks through nginx leaves another client new tokens, and a forged X-Forwarded-For moves nothing', async () => {
    await behindNginx([PROXY], async (nginx) => {
      const statuses = await flood(nginx.url);
      expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(20);
      // Mallory's forged addresses do not help: nginx appended her real one, the nearest the bridge does not trust.
      expect(await postRpcFrom(MALLORY, nginx.url, initializeRequest, { authorization: 'Bearer another-made-up', 'x-forwarded-for': '203.0.113.5' })).toBe(429);
      expect(await postRpcFrom(CAROL, nginx.url, initializeRequest, { authorization: `Bearer ${signJwt(SECRET, { sub: marked('carol') })}` })).toBe(200);
    });
  });

  it('without it, every caller behind the proxy shares the proxy address, and so its budget', async () => {
    await behindNginx(undefined, async (nginx) => {
      await flood(nginx.url);
      expect(await postRpcFrom(CAROL, nginx.url, initializeRequest, { authorization: `Bearer ${signJwt(SECRET, { sub: marked('carol') })}` })).toBe(429);
    });
  });
});

describe('--trust-proxy on the command line', () => {
  it('a list that is not addresses, ranges or the named ones exits 1 with one line naming the setting', () => {
    const run = runBin(['--transport', 'http', '--trust-proxy', '10.0.0.0/8,nginx.internal']);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(
        '--trust-proxy="10.0.0.0/8,nginx.internal" must be a comma-separated list of IP addresses or CIDR ranges, or loopback, linklocal, uniquelocal',
      ),
    ]);
  });
});
