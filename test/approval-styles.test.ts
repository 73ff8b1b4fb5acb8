import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { type Era, textOf } from './support/mcp-clients.js';
import { type Elicit, inTurn } from './support/person.js';

/** What the README says of a step that asks: Mastra's `if (!approved) return suspend()` asks again on "no"; telling the two apart ends the run. */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ approvalStyleWorkflows: true });
});
afterAll(() => stack?.close());

const no = { action: 'accept', content: { approved: false } } as const;

/** A person's client of `era` (2025 in memory, 2026-07-28 over HTTP) who answers with `elicit`. */
const open = (era: Era, elicit: Elicit): Promise<ClientBridge> =>
  startBridge({ mastraUrl: stack.mastra.url, transport: era === 'legacy' ? 'in-memory' : 'http', era, elicit });

describe.each(['legacy', 'modern'] as const)('a step that asks for approval, answered "no" (%s)', (era) => {
  it('written as `if (!approved) return suspend()`, it suspends again, so the person is asked again', async () => {
    const session = await open(era, inTurn(no, no));
    try {
      const result = (await session.client.callTool({ name: 'run_nagging', arguments: { item: 'desk' } })) as CallToolResult;
      // Two "no"s, then the third question is cancelled: "no" alone never ended the run.
      expect(session.questions).toHaveLength(3);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('cancel');
    } finally {
      await session.close();
    }
  });

  it('written to tell "not asked yet" from "no", the run ends on the first "no" with the result bail gives', async () => {
    const session = await open(era, inTurn(no));
    try {
      const result = (await session.client.callTool({ name: 'run_decisive', arguments: { item: 'desk' } })) as CallToolResult;
      expect(session.questions).toHaveLength(1);
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ status: 'rejected' });
    } finally {
      await session.close();
    }
  });
});
