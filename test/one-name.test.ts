import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, textOf, type Era } from './support/mcp-clients.js';
import { inTurn, type Elicit } from './support/person.js';

/**
 * Mastra names a workflow by its key (`purchaseWorkflow`) and by its id (`purchase`), and an agent's tool by its key
 * (`buy`) and its id (`purchase-item`). The bridge names each by its key, in every text: the key is what Mastra's API
 * and the model use (the workflow's URL, the tool the model calls), and what the tool names are made of.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ keyedNames: true });
});
afterAll(async () => {
  await stack?.close();
});

/** Every text of a result, a tool's description and a person's question, to look for the other name in. */
const quotedIds = (text: string) => [...text.matchAll(/"(purchase|purchase-item)"/g)].map((match) => match[1]);

/** A person's client of `era`: 2025 elicitation in memory, 2026-07-28 input_required over HTTP. */
const sessionOf = (era: Era, elicit: Elicit) => startBridge({ mastraUrl: stack.mastra.url, transport: era === 'legacy' ? 'in-memory' : 'http', era, elicit });

describe.each(ERA_CASES)('one name per workflow and per agent tool ($name)', ({ era }) => {
  it('the workflow by its key, in its tools, its question and its result', async () => {
    const session = await sessionOf(era, inTurn({ action: 'accept', content: { approved: true } }));
    try {
      const { tools } = await session.client.listTools();
      const run = tools.find((tool) => tool.name === 'run_purchaseWorkflow')!;
      const resume = tools.find((tool) => tool.name === 'resume_purchaseWorkflow')!;
      expect(run.title).toBe('purchaseWorkflow');
      expect(run.description).toContain('"purchaseWorkflow"');
      expect(resume.description).toContain('"purchaseWorkflow"');
      const result = (await session.client.callTool({ name: 'run_purchaseWorkflow', arguments: { item: 'a lamp' } })) as CallToolResult;
      expect(textOf(result)).toContain('a lamp');
      expect(session.questions[0]?.message).toContain('"purchaseWorkflow"');
      const texts = [run.title, run.description, resume.title, resume.description, session.questions[0]?.message, textOf(result)].join('\n');
      expect(quotedIds(texts)).toEqual([]);
      expect(texts).not.toMatch(/\bpurchase\b(?!Workflow)/);
    } finally {
      await session.close();
    }
  });

  it("the agent's tool by its key, in the agent's description and in the approval question", async () => {
    const session = await sessionOf(era, inTurn({ action: 'accept', content: { approved: true } }));
    try {
      const { tools } = await session.client.listTools();
      const shopper = tools.find((tool) => tool.name === 'ask_shopper')!;
      expect(shopper.description).toContain('It can use these tools: buy.');
      await session.client.callTool({ name: 'ask_shopper', arguments: { message: 'buy 2 and 3' } });
      expect(session.questions[0]?.message).toContain('tool "buy"');
      expect(quotedIds([shopper.description, session.questions[0]?.message].join('\n'))).toEqual([]);
      expect(shopper.description).not.toContain('purchase-item');
    } finally {
      await session.close();
    }
  });
});
