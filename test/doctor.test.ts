import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor } from '../src/commands/doctor.js';
import { BIN, binEnv } from './support/bin.js';
import { startBridge } from './support/bridge.js';
import { oauthDefaults } from './support/defaults.js';
import { signJwt, startStack, type Stack } from './support/mastra.js';
import { startTokenIssuer } from './support/oauth-token-issuer.js';
import { closedPort } from './support/waiting.js';

const SECRET = 'doctor-test-secret';

/** The doctor in this process, as the bin runs it: its report and exit code. */
async function runDoctor(argv: string[], env: Record<string, string>): Promise<{ code: number; report: string }> {
  let report = '';
  const sink = { write: (text: string) => (report += text) };
  const code = await doctor(argv, env, { stdout: sink, stderr: sink });
  return { code, report };
}

const problems = (report: string) => report.split('\n').filter((line) => line.startsWith('problem'));

let open: Stack;
let guarded: Stack;
beforeAll(async () => {
  [open, guarded] = await Promise.all([startStack({ workflows: true }), startStack({ jwtSecret: SECRET, workflows: true, agentsOnlyUser: 'agents-only' })]);
});
afterAll(async () => {
  await open?.close();
  await guarded?.close();
});

describe('mastra-agents-mcp doctor', () => {
  it('against a healthy Mastra: every tool it would offer, and exit 0 (through the bin)', async () => {
    // Asynchronously: this process serves the Mastra the bin asks (runBin would block it).
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'doctor'], { env: binEnv({ MASTRA_BASE_URL: open.mastra.url }) });
    expect(stdout).toMatch(new RegExp(`^ok +Mastra at ${open.mastra.url} listed \\d+ agents and \\d+ workflows`, 'm'));
    expect(stdout).toMatch(/^ {2}ask_echo +agent "echo" \(Echo Agent\)$/m);
    expect(stdout).toMatch(/^ {2}run_greet +workflow "greet"/m);
    expect(stdout).toMatch(/^ {2}resume_expense +resumes workflow "expense"$/m);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('All is well.');
  });

  it('with a token Mastra refuses: says who refused it, one problem line, never the token', async () => {
    const token = signJwt('another-secret', { sub: 'mallory' });
    const { code, report } = await runDoctor([], { MASTRA_BASE_URL: guarded.mastra.url, JWT_TOKEN: token });
    expect(code).toBe(1);
    expect(problems(report)).toEqual([expect.stringMatching(new RegExp(`^problem +Mastra at ${guarded.mastra.url} refused JWT_TOKEN \\(HTTP 401`))]);
    expect(report).not.toContain(token);
    expect(report).not.toContain(token.split('.')[2]);
  });

  it('with a token pasted with its "Bearer ": says so, and checks the token without it', async () => {
    const token = signJwt(SECRET, { sub: 'alice' });
    const { code, report } = await runDoctor([], { MASTRA_BASE_URL: guarded.mastra.url, JWT_TOKEN: `Bearer ${token}` });
    expect(report).toMatch(/^note +JWT_TOKEN starts with "Bearer ", which the bridge adds itself/m);
    expect(report).toMatch(/^ok +Mastra at .* with JWT_TOKEN, which it accepts/m);
    expect(report).not.toContain(token);
    expect(code).toBe(0);
  });

  it('with a token a proxy in front of Mastra refuses: says it was not Mastra', async () => {
    // A gateway's refusal, which Mastra cannot produce: an HTML 401 page.
    const gateway = createServer((_request, response) => response.writeHead(401, { 'content-type': 'text/html' }).end('<h1>401 Authorization Required</h1>'));
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
    try {
      const { code, report } = await runDoctor([], { MASTRA_BASE_URL: url, JWT_TOKEN: 'some-token' });
      expect(code).toBe(1);
      expect(problems(report)).toEqual([
        expect.stringMatching(/^problem +Something in front of Mastra \(a proxy or gateway.*refused JWT_TOKEN \(HTTP 401 with a non-JSON body/),
      ]);
    } finally {
      gateway.close();
    }
  });

  it('with an expired token: says when it expired', async () => {
    const token = signJwt(SECRET, { sub: 'alice', exp: Math.floor(Date.now() / 1000) - 60 });
    const { code, report } = await runDoctor([], { MASTRA_BASE_URL: guarded.mastra.url, JWT_TOKEN: token });
    expect(code).toBe(1);
    expect(problems(report)[0]).toMatch(/refused JWT_TOKEN .*: it expired at \d{4}-/);
  });

  it('with a token that may not list workflows: says so, as a problem, unless the filter wants no workflow', async () => {
    const env = { MASTRA_BASE_URL: guarded.mastra.url, JWT_TOKEN: signJwt(SECRET, { sub: 'agents-only' }) };
    const refused = await runDoctor([], env);
    expect(refused.code).toBe(1);
    expect(problems(refused.report)).toEqual([
      expect.stringMatching(/^problem +Mastra refused to list its workflows \(HTTP 403: Access denied\): the token may not list workflows/),
    ]);
    expect(refused.report).toMatch(/^ {2}ask_echo /m);
    const unwanted = await runDoctor(['--exclude', 'workflow:*'], env);
    expect(unwanted.code).toBe(0);
  });

  it('without a token where Mastra needs one, over stdio: says to set JWT_TOKEN', async () => {
    const { code, report } = await runDoctor([], { MASTRA_BASE_URL: guarded.mastra.url });
    expect(code).toBe(1);
    expect(problems(report)).toEqual([expect.stringContaining('requires a token and JWT_TOKEN is not set')]);
  });

  it('with Mastra down: cannot reach it, at that URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, report } = await runDoctor([], { MASTRA_BASE_URL: url });
    expect(code).toBe(1);
    expect(problems(report)).toEqual([expect.stringContaining(`Cannot reach the Mastra server at ${url} (`)]);
  });

  it('names what the filter leaves out, and why, without counting it a problem', async () => {
    const { code, report } = await runDoctor(['--exclude', 'broken,workflow:ledger'], { MASTRA_BASE_URL: open.mastra.url });
    expect(code).toBe(0);
    expect(report).toMatch(/^note +the agent "broken" is left out: --exclude "broken" \(MCP_EXCLUDE_AGENTS\) matches it$/m);
    expect(report).toMatch(/^note +the workflow "ledger" is left out: --exclude "workflow:ledger"/m);
    expect(report).not.toMatch(/^ {2}ask_broken /m);
  });

  it('counts an include that matches nothing a problem', async () => {
    const { code, report } = await runDoctor(['--include', 'echo,ecoh'], { MASTRA_BASE_URL: open.mastra.url });
    expect(code).toBe(1);
    expect(problems(report)).toEqual([expect.stringContaining('--include "ecoh" (MCP_INCLUDE_AGENTS) matches no agent or workflow')]);
  });

  it('with a URL ending in /api: says it is dropped, and lists all the same', async () => {
    const { code, report } = await runDoctor(['--mastra-url', `${open.mastra.url}/api`], {});
    expect(code).toBe(0);
    expect(report).toContain(`note     --mastra-url ends with /api, which client-js adds itself: using ${open.mastra.url}`);
    expect(report).toMatch(/^ {2}ask_echo /m);
  });

  it('with --public-url: both handshakes of the bridge running there, and how long the first answer took', async () => {
    const bridge = await startBridge({ mastraUrl: open.mastra.url, transport: 'http', client: 'none' });
    try {
      const { code, report } = await runDoctor(['--public-url', bridge.url.replace(/\/mcp$/, '')], { MASTRA_BASE_URL: open.mastra.url });
      expect(report).toMatch(/^ok +server\/discover \(MCP 2026-07-28\) answered in \d+ ms/m);
      expect(report).toMatch(/^ok +initialize \(MCP 2025-11-25\) answered in \d+ ms/m);
      expect(report).toMatch(/^note +.*is plain http on loopback/m);
      expect(code).toBe(0);
    } finally {
      await bridge.close({ graceMs: 0 });
    }
  });

  it('with --public-url where nothing runs: one problem line', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, report } = await runDoctor(['--public-url', url], { MASTRA_BASE_URL: open.mastra.url });
    expect(code).toBe(1);
    expect(problems(report)).toEqual([expect.stringContaining(`Cannot reach the bridge at ${url}/mcp`)]);
  });
});

describe('mastra-agents-mcp doctor --public-url, against an OAuth bridge', () => {
  it('finds the protected-resource metadata, and both handshakes asking a client without a token to sign in', async () => {
    const auth = await startTokenIssuer();
    const port = await closedPort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const bridge = await startBridge({
      mastraUrl: guarded.mastra.url,
      transport: 'http',
      client: 'none',
      settings: {
        port,
        oauth: {
          issuer: auth.url,
          publicUrl,
          audience: `${publicUrl}/mcp`,
          requiredScopes: [],
          mastraAuth: 'passthrough',
          mintClaims: [],
          ...oauthDefaults,
        },
      },
    });
    try {
      const argv = ['--transport', 'http', '--public-url', publicUrl, '--oauth-issuer', auth.url, '--mastra-auth', 'passthrough'];
      const { code, report } = await runDoctor(argv, { MASTRA_BASE_URL: guarded.mastra.url });
      expect(report).toMatch(new RegExp(`^ok +the protected-resource metadata names ${publicUrl}/mcp and ${auth.url}`, 'm'));
      expect(report).toMatch(/^ok +server\/discover \(MCP 2026-07-28\) asks a client without a token to sign in \(401 with resource_metadata/m);
      expect(report).toMatch(/^ok +initialize \(MCP 2025-11-25\) asks a client without a token to sign in/m);
      expect(problems(report)).toEqual([]);
      expect(code).toBe(0);
    } finally {
      await bridge.close();
      await auth.close();
    }
  });
});
