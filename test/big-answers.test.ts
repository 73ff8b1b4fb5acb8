import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigAnswer } from './fixture/fake-model.js';
import { startBridge, type ClientBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';

let stack: Stack;
let bridge: ClientBridge;
beforeAll(async () => {
  stack = await startStack({ bigAgent: true });
  bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory' });
});
afterAll(async () => {
  await bridge?.close();
  await stack?.close();
});

// How fast is measured by the benchmark (`npm run bench -- --only big-stream`); this checks what arrives.
describe('a big answer', () => {
  it('streamed in thousands of chunks, with characters of every UTF-8 length across them, is the same answer as called plainly', async () => {
    const expected = bigAnswer(2);
    const counts: number[] = [];
    const streamed = (await bridge.client.callTool({ name: 'ask_big', arguments: { message: '2' } }, undefined, {
      onprogress: ({ message }) => {
        const count = /^writing the answer: (\d+) characters$/.exec(message ?? '')?.[1];
        if (count) counts.push(Number(count));
      },
    })) as CallToolResult;
    const plain = (await bridge.client.callTool({ name: 'ask_big', arguments: { message: '2' } })) as CallToolResult;
    // The text is cut to --max-result-chars (big-results.test.ts); structuredContent carries the whole answer.
    expect((streamed.structuredContent as { text: string }).text === expected).toBe(true);
    expect(streamed.structuredContent).toEqual(plain.structuredContent);
    expect(stack.model.requests.filter((r) => r.model === 'big').map((r) => r.stream)).toEqual([true, false]);
    // Progress followed the writing: increasing counts, up to no more than the whole answer.
    expect(counts.length).toBeGreaterThan(0);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBeLessThanOrEqual(expected.length);
  });
});
