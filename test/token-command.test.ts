import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './support/bin.js';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';

const SECRET = 'token-command-secret';
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET });
});
afterAll(async () => {
  await stack?.close();
});

const token = (args: string[], env: Record<string, string> = { MASTRA_JWT_SECRET: SECRET }) => runBin(['token', ...args], env);

describe('mastra-agents-mcp token <user>', () => {
  it("prints only a JWT that the Mastra app's MastraJwtAuth accepts as that user", async () => {
    const made = token(['ann']);
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(made.stderr).toBe(
      'mastra-agents-mcp: info: a Mastra JWT for "ann", valid for 7d: give it to that person as their JWT_TOKEN (stdio) or Bearer token (HTTP)\n',
    );
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'stdio', env: { JWT_TOKEN: made.stdout.trim() } });
    try {
      expect(textOf(await bridge.client.callTool({ name: 'ask_whoami', arguments: { message: 'who?' } }))).toBe('revealed: user=ann tenant=none');
    } finally {
      await bridge.close();
    }
    const payload = JSON.parse(Buffer.from(made.stdout.split('.')[1]!, 'base64url').toString()) as { sub: string; iat: number; exp: number };
    expect(payload.sub).toBe('ann');
    expect(payload.exp - payload.iat).toBe(7 * 24 * 3600);
    expect(JSON.parse(Buffer.from(token(['ann', '--expires', '12h']).stdout.split('.')[1]!, 'base64url').toString()).exp - payload.iat).toBeGreaterThan(0);
  });

  it('needs MASTRA_JWT_SECRET, one user and a lifetime it can read', () => {
    expect(token(['ann'], {}).stderr).toBe(
      "mastra-agents-mcp: error: token needs MASTRA_JWT_SECRET, the secret of the Mastra app's MastraJwtAuth (the one Mastra checks tokens with)\n",
    );
    expect(token([]).stderr).toBe('mastra-agents-mcp: error: token needs one user, the "sub" of the token, e.g. token ann (see token --help)\n');
    const bad = token(['ann', '--expires', 'forever']);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe('mastra-agents-mcp: error: --expires must be a number and a unit, e.g. 30m, 12h, 7d or 4w, not "forever"\n');
  });
});
