import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure } from '../src/kernel/errors.js';
import { capResult, errorResult, failureKindOf, withNote } from '../src/kernel/results.js';
import { startBridge } from './support/bridge.js';
import { clientFor, signJwt, startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, textOf } from './support/mcp-clients.js';
import { closedPort, waitFor } from './support/waiting.js';

const SECRET = 'failure-kinds-secret';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ jwtSecret: SECRET, guardedAgent: true });
});
afterAll(async () => {
  await stack?.close();
});

describe('a failed result carries the kind its builder gave it', () => {
  it('through notes, capping and spreads, and never onto the wire', () => {
    const failed = errorResult('The agent "echo" did not answer.', 'timeout');
    expect(failureKindOf(failed)).toBe('timeout');
    expect(failureKindOf(withNote('A note first.', failed))).toBe('timeout');
    expect(failureKindOf(capResult(errorResult('x'.repeat(500), 'gone'), 100))).toBe('gone');
    expect(failureKindOf({ ...failed })).toBe('timeout');
    // What a client (or a task store) gets is the text and isError alone; read back, the kind is the generic one.
    expect(JSON.parse(JSON.stringify(failed))).toEqual({ content: [{ type: 'text', text: 'The agent "echo" did not answer.' }], isError: true });
    expect(failureKindOf(JSON.parse(JSON.stringify(failed)) as CallToolResult)).toBe('tool_error');
  });

  it("describes Mastra's own failures with their kinds: refused, gone, upstream, unreachable", async () => {
    const token = signJwt(SECRET, { sub: 'kinds' });
    const failureOf = async (run: () => Promise<unknown>, agentId: string, baseUrl = stack.mastra.url) => {
      const error = await run().then(
        () => expect.unreachable('the call should fail'),
        (e: unknown) => e,
      );
      return describeFailure(error, { agentId, baseUrl });
    };
    const refused = await failureOf(() => clientFor(stack.mastra.url).getAgent('echo').generate('hi'), 'echo');
    expect(refused).toMatchObject({ kind: 'refused', text: expect.stringContaining('refused to run agent "echo"') });
    const gone = await failureOf(() => clientFor(stack.mastra.url, token).getAgent('nobody').generate('hi'), 'nobody');
    expect(gone).toMatchObject({ kind: 'gone', text: expect.stringContaining('no longer has agent "nobody"') });
    const broken = await failureOf(() => clientFor(stack.mastra.url, token).getAgent('broken').generate('hi'), 'broken');
    expect(broken.kind).toBe('upstream_error');
    const closed = `http://127.0.0.1:${await closedPort()}`;
    const unreachable = await failureOf(() => clientFor(closed, token).getAgent('echo').generate('hi'), 'echo', closed);
    expect(unreachable).toMatchObject({ kind: 'unreachable', text: expect.stringContaining('Cannot reach the Mastra server') });
  });

  it.each(ERA_CASES)('the log line names a guardrail refusal and bad arguments by their kinds (stdio bin, $name)', async ({ era, name }) => {
    const bridge = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'stdio',
      bin: true,
      era,
      args: ['--log-format', 'json'],
      env: { JWT_TOKEN: signJwt(SECRET, { sub: 'svc' }) },
    });
    try {
      const refused = (await bridge.client!.callTool({ name: 'ask_guarded', arguments: { message: 'a forbidden topic' } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toContain('refused the request');
      const invalid = (await bridge.client!.callTool({ name: 'ask_echo', arguments: { message: 42 } })) as CallToolResult;
      expect(textOf(invalid)).toContain('Invalid arguments for ask_echo');
      const calls = await waitFor('two call lines', () => {
        const lines = bridge
          .stderr()
          .split('\n')
          .filter((line) => line.includes('"tools/call"'))
          .map((line) => JSON.parse(line) as Record<string, unknown>);
        return lines.length >= 2 && lines;
      });
      expect(calls).toEqual([
        expect.objectContaining({ tool: 'ask_guarded', era: name, outcome: 'is_error', error_type: 'refused' }),
        expect.objectContaining({ tool: 'ask_echo', era: name, outcome: 'is_error', error_type: 'invalid_arguments' }),
      ]);
    } finally {
      await bridge.close();
    }
  });
});
