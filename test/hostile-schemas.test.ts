import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATASTROPHIC_PATTERN } from './fixture/workflows.js';
import { startBridge, type Bridge } from './support/bridge.js';
import { startStack, type Stack } from './support/mastra.js';
import { ERA_CASES, textOf, type BridgeClient } from './support/mcp-clients.js';
import { serializedSchema, startSchemaRelay } from './support/schema-relay.js';
import { waitFor } from './support/waiting.js';

/**
 * Schemas come from Mastra, arguments from any caller. A pattern that backtracks must not hold the bridge's
 * event loop, and a schema the bridge cannot handle must cost only its own workflow, never the catalogue.
 */

/** 40 `a`s then a `!`: CATASTROPHIC_PATTERN in a backtracking engine tries some 2^40 ways (hours) before it fails. */
const HOSTILE_WORD = `${'a'.repeat(40)}!`;
/** Far above what a loaded two-core machine takes to answer, far below the hours backtracking would take. */
const ANSWER_WITHIN_MS = 10_000;

/** The promise's value, or a failure saying the bridge did not answer in time (its event loop was held). */
async function answered<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} was not answered within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const runIdIn = (text: string) => /runId "([0-9a-f-]{36})"/.exec(text)?.[1];

let stack: Stack;
let bin: Bridge;
beforeAll(async () => {
  stack = await startStack({ workflows: true, hostileSchemaWorkflows: true });
  bin = await startBridge({ mastraUrl: stack.mastra.url, transport: 'http', bin: true, client: 'none', env: { LOG_LEVEL: 'info' } });
  await waitFor('the first listing', () => /serving|could not load/.test(bin.stderr()));
});
afterAll(async () => {
  // Killed: a bridge whose event loop is held answers no SIGTERM.
  await bin?.close();
  await stack?.close();
});

describe.each(ERA_CASES)('hostile workflow schemas over HTTP, $name', ({ era }) => {
  let caller: BridgeClient;
  let other: BridgeClient;
  beforeAll(async () => {
    const [one, two] = await Promise.all([bin.connect({ era }), bin.connect({ era })]);
    [caller, other] = [one.client, two.client];
  });
  const call = (client: BridgeClient, name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  it('tools/list offers every agent and every workflow, except those whose schemas the bridge cannot serve', async () => {
    const names = (await other.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'ask_echo',
        'ask_calculator',
        'run_greet',
        'run_expense',
        'resume_expense',
        'run_catastrophic-input',
        'run_catastrophic-resume',
        'resume_catastrophic-resume',
      ]),
    );
    for (const left of ['run_deep', 'run_wide', 'run_lookaround']) expect(names).not.toContain(left);
  });

  it('an argument against a catastrophic pattern is refused at once, no run is created, and another caller is answered meanwhile', async () => {
    const [refused, listed] = await Promise.all([
      answered('the call with the hostile argument', call(caller, 'run_catastrophic-input', { word: HOSTILE_WORD })),
      answered("another caller's tools/list", other.listTools()),
    ]);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(`Invalid arguments for run_catastrophic-input: word: Invalid string: must match pattern ${CATASTROPHIC_PATTERN}.`);
    // Both eras send this very word, and no call with it ever gets to Mastra.
    expect(stack.mastraRequestsCarrying(HOSTILE_WORD)).toEqual([]);
    expect(listed.tools.map((tool) => tool.name)).toContain('run_catastrophic-input');
    // The pattern still holds: a word that fits it runs the workflow.
    expect((await call(caller, 'run_catastrophic-input', { word: 'aaaa' })).structuredContent).toEqual({ word: 'aaaa' });
  });

  it('an answer against a catastrophic resumeSchema pattern is refused at once, and another caller is answered meanwhile', async () => {
    const runId = runIdIn(textOf(await call(caller, 'run_catastrophic-resume', {})));
    expect(runId).toBeDefined();
    const [refused, listed] = await Promise.all([
      answered('the resume with the hostile answer', call(caller, 'resume_catastrophic-resume', { runId, answer: { code: HOSTILE_WORD } })),
      answered("another caller's tools/list", other.listTools()),
    ]);
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toBe(`Invalid arguments for resume_catastrophic-resume: answer: code: Invalid string: must match pattern ${CATASTROPHIC_PATTERN}.`);
    expect(listed.tools.length).toBeGreaterThan(0);
    expect((await call(caller, 'resume_catastrophic-resume', { runId, answer: { code: 'aaaa' } })).structuredContent).toEqual({ code: 'aaaa' });
  });
});

describe('the log', () => {
  it('names each workflow left out and why; the listing itself succeeds', async () => {
    const stderr = bin.stderr();
    const at = `at ${stack.mastra.url} is not offered:`;
    expect(stderr).toContain(`warn: the workflow "deep" ${at} Mastra could not describe it (HTTP 500: Maximum call stack size exceeded)`);
    expect(stderr).toContain(`warn: the workflow "wide" ${at} its inputSchema has more than 1000 objects and arrays, more than the bridge accepts`);
    expect(stderr).toContain(
      `warn: the workflow "lookaround" ${at} its inputSchema has the pattern "^(?=.*\\\\d).{8,}$", which RE2 cannot run (invalid or unsupported Perl syntax: \`(?=\`); the bridge checks patterns with RE2 only, so that no argument can stall it`,
    );
    expect(stderr).toMatch(/serving \d+ agents and 8 workflows from/);
    expect(stderr).not.toContain('could not load');
  });
});

/** A JSON Schema of objects nested `levels` deep, as JSON text: 3,000 levels fit in 128 KiB. */
const nested = (levels: number) => `${'{"type":"object","properties":{"n":'.repeat(levels)}{"type":"string"}${'}}'.repeat(levels)}`;

const wide = (properties: number) =>
  JSON.stringify({ type: 'object', properties: Object.fromEntries(Array.from({ length: properties }, (_, i) => [`field${i}`, { type: 'string' }])) });

describe('schemas too deep or too large for the bridge, as Mastra might serve them', () => {
  it('leave out their workflow alone, naming it and the limit; every agent and other workflow is served', async () => {
    const plain = await startStack({ workflows: true });
    // Mastra overflows its own stack on a schema a few hundred levels deep, and takes seconds to serialize 60,000 properties.
    const relay = await startSchemaRelay(plain.mastra.url, (workflows) => {
      workflows.greet!.inputSchema = serializedSchema(nested(3_000));
      workflows.ledger!.outputSchema = serializedSchema(wide(60_000));
      workflows.expense!.allSteps!['ask-manager']!.resumeSchema = serializedSchema(nested(3_000));
    });
    const bridge = await startBridge({ mastraUrl: relay.url, transport: 'stdio', env: { LOG_LEVEL: 'info' } });
    try {
      const names = (await bridge.client.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['ask_echo', 'run_shipping', 'resume_shipping', 'run_slowflow']));
      for (const left of ['run_greet', 'run_ledger', 'run_expense', 'resume_expense']) expect(names).not.toContain(left);
      const at = `at ${relay.url} is not offered:`;
      const stderr = await waitFor('the warnings', () => (bridge.stderr().includes('"expense"') ? bridge.stderr() : undefined));
      expect(stderr).toContain(`warn: the workflow "greet" ${at} its inputSchema nests more than 64 levels deep, more than the bridge accepts`);
      expect(stderr).toMatch(
        new RegExp(`warn: the workflow "ledger" ${at.replace(/\./g, '\\.')} its outputSchema is [\\d.]+ MiB as JSON, more than the 128 KiB the bridge accepts`),
      );
      expect(stderr).toContain(
        `warn: the workflow "expense" ${at} the resumeSchema of its step "ask-manager" nests more than 64 levels deep, more than the bridge accepts`,
      );
      expect(stderr).not.toContain('could not load');
    } finally {
      await bridge.close();
      await relay.close();
      await plain.close();
    }
  });
});
