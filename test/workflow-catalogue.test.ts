import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentFilter } from '../src/catalogue/agent-filter.js';
import { ToolNamer } from '../src/catalogue/tool-names.js';
import { toolsOf } from '../src/calls/tool-call.js';
import type { Answer, RunOutcome } from '../src/kernel/run-outcome.js';
import { workflowResumer } from '../src/workflows/workflow-resumer.js';
import { startWorkflow } from '../src/workflows/workflow-run.js';
import { HOSTILE_WORKFLOW_ID } from './fixture/workflows.js';
import { runBin } from './support/bin.js';
import { startBridge } from './support/bridge.js';
import { clientFor, marked, startStack, type Stack } from './support/mastra.js';
import { textOf } from './support/mcp-clients.js';
import { catalogueOf, DEFAULTS } from './support/defaults.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workflows: true });
});
afterAll(async () => {
  await stack?.close();
});

async function catalogueWith(filter: AgentFilter, options: { toolPrefix?: string; workflowPrefix?: string } = {}) {
  const catalogue = catalogueOf(clientFor(stack.mastra.url), { filter, ...options });
  const result = await catalogue.refresh();
  return { catalogue, result, names: toolsOf(catalogue, DEFAULTS.maxResultChars).map((tool) => tool.name) };
}

describe('the include and exclude filters cover workflows', () => {
  it('a plain glob applies to agents and workflows alike', async () => {
    const { names } = await catalogueWith({ include: ['greet', 'echo'] });
    expect(names).toEqual(['ask_echo', 'run_greet']);
  });

  it('workflow: and agent: limit a glob to one kind', async () => {
    expect((await catalogueWith({ exclude: ['workflow:*'] })).names.filter((n) => !n.startsWith('ask_'))).toEqual([]);
    expect((await catalogueWith({ include: ['agent:echo', 'workflow:exp*'] })).names).toEqual(['ask_echo', 'resume_expense', 'run_expense']);
    // agent:greet names no agent: the workflow greet is not offered by it.
    expect((await catalogueWith({ include: ['agent:greet'] })).names).toEqual([]);
  });

  it('an include that matches no agent and no workflow is reported; one that matches a workflow is not', async () => {
    const { result } = await catalogueWith({ include: ['greet', 'workflow:echo', 'nothing*'] });
    expect(result.unmatchedIncludes).toEqual(['workflow:echo', 'nothing*']);
    expect(result.listedWorkflows).toEqual(['expense', 'greet', 'ledger', 'shipping', 'slowflow', HOSTILE_WORKFLOW_ID]);
  });

  it('--workflow-prefix names the workflow tools', async () => {
    expect((await catalogueWith({ include: ['greet'] }, { workflowPrefix: 'wf_' })).names).toEqual(['wf_greet']);
  });
});

describe('the bin', () => {
  it('takes --workflow-prefix and the filters, and warns about an include that matches nothing', async () => {
    const bridge = await startBridge({
      mastraUrl: stack.mastra.url,
      transport: 'stdio',
      args: ['--include', 'greet,workflow:nope*', '--workflow-prefix', 'wf_'],
      env: { LOG_LEVEL: 'info' },
    });
    try {
      expect((await bridge.client.listTools()).tools.map((tool) => tool.name)).toEqual(['wf_greet']);
      const stderr = bridge.stderr();
      expect(stderr).toContain(`serving 0 agents and 1 workflow from ${stack.mastra.url}`);
      expect(stderr).toContain(`warn: the include filter "workflow:nope*" matches no agent or workflow at ${stack.mastra.url}`);
      expect(stderr).toContain('the workflows: expense, greet, ledger, shipping, slowflow');
    } finally {
      await bridge.close();
    }
  });

  it('a bad --workflow-prefix (or MCP_WORKFLOW_PREFIX) exits 1 with one line naming it', () => {
    for (const [args, env, name] of [
      [['--workflow-prefix', 'run me'], {}, '--workflow-prefix="run me"'],
      [[], { MCP_WORKFLOW_PREFIX: 'x'.repeat(33) }, 'MCP_WORKFLOW_PREFIX='],
    ] as const) {
      const run = runBin([...args], { ...env });
      expect(run.status).toBe(1);
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringContaining(`invalid configuration: ${name}`)]);
      expect(run.stderr).toContain('must be at most 32 characters from A-Z a-z 0-9 _ -');
    }
    const help = runBin(['--help']).stdout;
    for (const text of ['--workflow-prefix', 'MCP_WORKFLOW_PREFIX', 'workflow:GLOB', 'workflow:* offers no workflow']) expect(help).toContain(text);
  });
});

describe('workflow ids', () => {
  it('are encoded in every path: a workflow whose id would name another runs itself', async () => {
    const { catalogue } = await catalogueWith({ include: [`workflow:${HOSTILE_WORKFLOW_ID}`] });
    const [tool] = catalogue.workflows;
    expect(tool!.toolName).toMatch(/^run_x____greet_[0-9a-f]{8}$/);
    // The run's token marks its requests (this Mastra checks no token).
    const token = marked('hostile-run');
    const outcome = await startWorkflow(
      tool!,
      {},
      { client: clientFor(stack.mastra.url, token), baseUrl: stack.mastra.url, callTimeoutMs: DEFAULTS.callTimeoutMs },
    );
    expect('done' in outcome && outcome.done.structuredContent).toEqual({ ran: HOSTILE_WORKFLOW_ID });
    const reached = stack.mastraRequestsCarrying(token).map(({ request }) => request);
    expect(reached.length).toBeGreaterThan(0);
    expect(reached.filter((request) => !request.startsWith('POST /api/workflows/x%2F..%2Fgreet/'))).toEqual([]);
  });
});

describe('workflows follow the live catalogue', () => {
  it('a workflow Mastra no longer has is an isError result, and the catalogue is told to re-list', async () => {
    const without = await stack.another();
    const bridge = await startBridge({ mastraUrl: stack.mastra.url, transport: 'in-memory', callTo: without.url });
    try {
      const stale = once(bridge.catalogue!, 'stale');
      const result = (await bridge.client.callTool({ name: 'run_greet', arguments: { name: 'gone', times: 1 } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(`The Mastra server at ${without.url} no longer has workflow "greet" (HTTP 404 Not Found: Workflow not found)`);
      expect(await stale).toEqual(['greet']);
    } finally {
      await bridge.close();
      await without.close();
    }
  });
});

describe('workflow tool names', () => {
  it('never share a name with an agent tool, even with the same prefix, and keep their names', () => {
    const namer = new ToolNamer('run_', { workflow: 'run_' }, DEFAULTS.maxToolName);
    expect(namer.namesFor(['greet']).get('greet')).toBe('run_greet');
    const workflow = namer.namesFor(['greet'], 'workflow').get('greet')!;
    expect(workflow).toMatch(/^run_greet_[0-9a-f]{8}$/);
    expect(namer.namesFor(['greet'], 'workflow').get('greet')).toBe(workflow);
    expect(namer.namesFor(['greet']).get('greet')).toBe('run_greet');
  });

  it('agents and workflows may share one prefix', async () => {
    const { names } = await catalogueWith({ include: ['agent:echo', 'workflow:greet'] }, { toolPrefix: 'run_', workflowPrefix: 'run_' });
    expect(names).toEqual(['run_echo', 'run_greet']);
  });
});

describe('the workflow Resumer (kind "workflow")', () => {
  const options = () => ({ client: clientFor(stack.mastra.url), baseUrl: stack.mastra.url, callTimeoutMs: DEFAULTS.callTimeoutMs });
  async function pausedExpense() {
    const catalogue = (await catalogueWith({ include: ['workflow:expense'] })).catalogue;
    const outcome = await startWorkflow(catalogue.workflows[0]!, { item: 'phone', amount: 700 }, options());
    if (!('paused' in outcome)) throw new Error(`expected a pause, got ${textOf(outcome.done)}`);
    return { resumer: workflowResumer(catalogue), paused: outcome.paused };
  }
  const doneText = (outcome: RunOutcome) => ('done' in outcome ? textOf(outcome.done) : `paused: ${outcome.paused.question.message}`);

  it("asks with the step's resumeSchema as a flat form, and resumes the run with the answer", async () => {
    const { resumer, paused } = await pausedExpense();
    expect(paused.handle).toMatchObject({ kind: 'workflow', workflowId: 'expense', step: 'ask-manager' });
    expect(paused.question.schema).toEqual({
      type: 'object',
      properties: { approved: { type: 'boolean', description: 'Approve the expense?' }, note: { type: 'string', description: 'A note for the requester.' } },
      required: ['approved'],
    });
    expect(paused.question.message).toContain('{"reason":"phone costs 700"}');
    expect(paused.unanswerable.isError).toBe(true);

    // An answer that does not fit is named before any resume, so the drivers ask the person again.
    expect(resumer.answerProblem!(paused.handle, { approved: 'sure' })).toMatch(/^approved: .*boolean/);
    expect(resumer.answerProblem!(paused.handle, { approved: true })).toBeUndefined();
    const refused = await resumer.resume(paused.handle, { action: 'accept', content: { approved: 'sure' } }, options());
    expect(doneText(refused)).toMatch(
      /^The answer does not fit the step "ask-manager" of the workflow "expense": approved: .*boolean.*The run \(runId "[0-9a-f-]{36}"\) stays suspended; answer with resume_expense\.$/,
    );
    const done = await resumer.resume(paused.handle, { action: 'accept', content: { approved: true } }, options());
    expect('done' in done && done.done.structuredContent).toEqual({ status: 'approved' });
  });

  it.each<[string, Answer]>([
    ['decline', { action: 'decline' }],
    ['cancel', { action: 'cancel' }],
  ])('%s cancels the run upstream and ends clearly', async (_, answer) => {
    const { resumer, paused } = await pausedExpense();
    const outcome = await resumer.resume(paused.handle, answer, options());
    expect('done' in outcome && outcome.done.isError).toBe(true);
    expect(doneText(outcome)).toContain(`(runId "${paused.handle.runId}") was cancelled on the Mastra server`);
    expect((await clientFor(stack.mastra.url).getWorkflow('expense').runById(String(paused.handle.runId))).status).toBe('canceled');
  });
});
