import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand } from '../src/config.js';
import { startStack, textOf, type Stack } from './helpers.js';
import { connectHttp, initializeRequest, postRpc, signJwt } from './http-helpers.js';
import { startNginx, type Nginx } from './servers/nginx.js';
import { startReplicas, type Replica } from './servers/replicas.js';
import { havePrograms } from './servers/system-programs.js';

const SECRET = 'replicas-affinity-secret';
const USERS = { alice: signJwt(SECRET, { sub: 'alice' }), bob: signJwt(SECRET, { sub: 'bob' }) };
const IDS = ['r1', 'r2', 'r3'];
/** Sessions per scenario: with three replicas, the chance that a broken routing still serves them all is (1/3)^8. */
const SESSIONS = 8;

let stack: Stack;
let replicas: Replica[];
let stopReplicas: () => Promise<void>;

/** A 2025 session through `url`: connect, list, two calls; 'ok', 'mismatch' (another user's answer) or the error met. */
async function sessionThrough(url: string, user: keyof typeof USERS, n: number): Promise<{ outcome: string; sessionId?: string }> {
  let sessionId: string | undefined;
  try {
    const { client, transport } = await connectHttp(url, USERS[user]);
    sessionId = transport.sessionId;
    try {
      await client.listTools();
      for (const i of [1, 2]) {
        const tenant = `s${n}-${i}`;
        const text = textOf(await client.callTool({ name: 'ask_whoami', arguments: { message: 'who?', requestContext: { tenant } } }));
        if (text !== `revealed: user=${user} tenant=${tenant}`) return { outcome: 'mismatch', sessionId };
      }
      return { outcome: 'ok', sessionId };
    } finally {
      await client.close();
    }
  } catch (error) {
    return { outcome: (error as Error).message, sessionId };
  }
}

const sessionsThrough = (url: string) => Promise.all(Array.from({ length: SESSIONS }, (_, n) => sessionThrough(url, n % 2 ? 'bob' : 'alice', n)));

describe('--replica-id', () => {
  it('takes 1 to 32 of A-Z a-z 0-9 _ -, and refuses anything else in one line naming the setting', () => {
    expect(parseCommand(['--replica-id', 'eu-1'], {})).toMatchObject({ config: { replicaId: 'eu-1' } });
    expect(() => parseCommand([], { MCP_REPLICA_ID: 'r.1' })).toThrow(
      /^invalid configuration: MCP_REPLICA_ID="r\.1" must be 1 to 32 characters from A-Z a-z 0-9 _ -/,
    );
  });
});

describe.skipIf(!havePrograms({ nginx: 'nginx-light' }))('sessionful 2025 behind nginx, with affinity on the Mcp-Session-Id header', () => {
  beforeAll(async () => {
    stack = await startStack({ jwtSecret: SECRET });
    ({ replicas, close: stopReplicas } = await startReplicas(3, (i) => ['--replica-id', IDS[i]!], {
      MASTRA_BASE_URL: stack.mastra.url,
      JWT_TOKEN: signJwt(SECRET, { sub: 'svc' }),
    }));
  }, 30_000);
  afterAll(async () => {
    await stopReplicas?.();
    await stack?.close();
  });

  const upstreams = () => replicas.map((replica) => replica.address);
  const withNginx = async (options: Parameters<typeof startNginx>[0], run: (nginx: Nginx) => Promise<void>) => {
    const nginx = await startNginx(options);
    try {
      await run(nginx);
    } finally {
      await nginx.close();
    }
  };

  it('breaks with `hash $http_mcp_session_id consistent` alone: initialize has no session id, so it lands elsewhere than its session’s requests', async () => {
    await withNginx({ upstreams: upstreams(), routing: 'session-hash' }, async (nginx) => {
      const outcomes = (await sessionsThrough(nginx.url)).map(({ outcome }) => outcome);
      expect(outcomes.filter((outcome) => /Session not found/.test(outcome)).length).toBeGreaterThan(0);
      expect(outcomes).not.toContain('mismatch');
    });
  });

  it('works with session ids that name their replica (--replica-id) and an nginx map on the header: every session stays on its replica', async () => {
    await withNginx({ upstreams: upstreams(), routing: 'replica-id', replicaIds: IDS }, async (nginx) => {
      const sessions = await sessionsThrough(nginx.url);
      expect(sessions.map(({ outcome }) => outcome)).toEqual(Array(SESSIONS).fill('ok'));
      const served = nginx.served();
      const byId = new Map(IDS.map((id, i) => [id, replicas[i]!.address]));
      for (const { sessionId } of sessions) {
        const replica = byId.get(sessionId!.split('.')[0]!);
        const requests = served.filter((request) => request.session === sessionId);
        // notifications/initialized, the GET stream, tools/list and two calls.
        expect(requests.length).toBeGreaterThanOrEqual(4);
        expect(requests.every((request) => request.upstream === replica && request.status < 400)).toBe(true);
      }
      // The initialize POSTs (no session id yet) are balanced over the pool: sessions open on every replica.
      expect(new Set(sessions.map(({ sessionId }) => sessionId!.split('.')[0])).size).toBe(3);
    });
  });

  // Last: it kills a replica.
  it('answers 404 for a session whose replica is gone, so the client starts a new session, which opens on a live replica', async () => {
    await withNginx({ upstreams: upstreams(), routing: 'replica-id', replicaIds: IDS }, async (nginx) => {
      const auth = { authorization: `Bearer ${USERS.alice}` };
      let sessionId = '';
      // Round robin: within three initializes one opens on r3.
      while (!sessionId.startsWith('r3.')) {
        const opened = await postRpc(nginx.url, initializeRequest, auth);
        sessionId = opened.headers.get('mcp-session-id')!;
        await opened.body?.cancel();
      }
      replicas[2]!.bin.child.kill('SIGKILL');
      await replicas[2]!.bin.exited;
      const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
      const gone = await postRpc(nginx.url, list, { ...auth, 'mcp-session-id': sessionId });
      expect(gone.status).toBe(404);
      expect(((await gone.json()) as { error: { message: string } }).error.message).toMatch(/^Session not found: .*start a new session/);
      const again = await sessionThrough(nginx.url, 'alice', 99);
      expect(again.outcome).toBe('ok');
      expect(again.sessionId).not.toMatch(/^r3\./);
    });
  });
});
