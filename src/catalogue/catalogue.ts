import type { MastraClient } from '@mastra/client-js';
import { EventEmitter } from 'node:events';
import { isAddressable } from '../kernel/mastra-ids.js';
import { AgentMemory } from './agent-memory.js';
import { excludesKind, filterAgentIds, filterReason, unmatchedIncludes, type AgentFilter, type IdKind } from './agent-filter.js';
import { withAbortSignal } from '../mastra-client.js';
import { createRedactor } from './redact.js';
import { describeAgent, instructionsText, publicTextsOf, type ListedAgent } from './agent-texts.js';
import { ToolNamer } from './tool-names.js';
import { canSuspend, listWorkflows, schemasOf, workflowToolOf, type ListedWorkflow, type WorkflowSchemas, type WorkflowTool } from './workflows.js';

export { describeAgent };

/** The prefix of a workflow's resume tool (see workflows/workflow-call.ts). */
export const RESUME_PREFIX = 'resume_';

/** What the bridge needs to know of one Mastra agent to offer it as a tool. */
export interface AgentTool {
  agentId: string;
  toolName: string;
  title: string;
  description: string;
  /** Whether Mastra keeps this agent's threads (its memory); undefined when Mastra would not say. */
  hasMemory?: boolean;
  /**
   * Cuts every long run of the agent's instructions (as last listed) from an error or progress
   * text. The instructions themselves stay inside the catalogue: nothing else can read them.
   */
  redact(text: string): string;
}

const byToolName = (a: { toolName: string }, b: { toolName: string }) => (a.toolName < b.toolName ? -1 : a.toolName > b.toolName ? 1 : 0);

export interface CatalogueOptions {
  /** The service-level client used for listing. */
  client: MastraClient;
  /** Tool name prefix (`--tool-prefix`). */
  toolPrefix: string;
  /** Which agents and workflows to offer; no globs: all. */
  filter: AgentFilter;
  /** Describe an agent that has no description by the first paragraph of its instructions (they are secret). */
  describeFromInstructions: boolean;
  /** Workflow tool name prefix (`--workflow-prefix`). */
  workflowPrefix: string;
  /** The longest tool name (`--max-tool-name`): longer ones are cut and hashed. */
  maxToolName: number;
  /** Whether to list the workflows too. Default: yes (a listing made only to check a token needs none). */
  listWorkflows?: boolean;
  /** Whether to ask Mastra which agents have memory. Default: yes (a listing made only to check a token needs none). */
  askMemory?: boolean;
}

/** How every catalogue of one bridge lists and names: the service-level one and each caller's own alike. */
export type CatalogueSettings = Omit<CatalogueOptions, 'client' | 'listWorkflows' | 'askMemory'>;

/** What one listing found. */
export interface RefreshResult {
  /** Whether the offered tools changed (and `change` was emitted). */
  changed: boolean;
  /** Every agent id Mastra listed, filtered or not, sorted. */
  listed: string[];
  /** Every workflow id Mastra listed, filtered or not, sorted. */
  listedWorkflows: string[];
  /** Include globs that matched no listed agent. */
  unmatchedIncludes: string[];
  /**
   * Every agent and workflow Mastra listed that the bridge does not offer, with why: the filter's choice, an id no
   * URL path can name (`.`, `..`, an empty id), a workflow Mastra could not describe or whose schema is out of bounds.
   */
  leftOut: LeftOut[];
  /** Why Mastra listed no workflows, when it refused to (the token may not list them); unless the filter wants no workflow anyway. */
  workflowsRefused?: string;
}

/** One agent or workflow Mastra has and the bridge does not offer, with why (a sentence's end). */
export interface LeftOut {
  kind: IdKind;
  id: string;
  reason: string;
  /** Left out because the operator's filter says so, not because the bridge cannot serve it. */
  byFilter: boolean;
}

/** Why no URL path can name an id. */
const UNADDRESSABLE = 'no URL path can name it (URL parsing resolves "." and ".." away, and would run another agent); give it another id in Mastra';

const filteredOut = (id: string, filter: AgentFilter, kind: IdKind): LeftOut[] => {
  const reason = filterReason(id, filter, kind);
  return reason === undefined ? [] : [{ kind, id, reason, byFilter: true }];
};

/** One agent's redactor, replaced when a listing brings new instructions; tools in use keep the one they had. */
interface Secret {
  source: string;
  redact(text: string): string;
}

/**
 * The agents the bridge offers, shared by every session. Listeners hear `change` only when the
 * set of tools or one of their descriptions really changed, and `stale` when a call found that
 * an agent is gone (whoever keeps the catalogue fresh re-lists then).
 */
export class Catalogue extends EventEmitter<{ change: []; stale: [agentId: string] }> {
  private byName = new Map<string, AgentTool>();
  private list: AgentTool[] = [];
  private workflowList: WorkflowTool[] = [];
  private workflowByName = new Map<string, WorkflowTool>();
  private resumeByName = new Map<string, WorkflowTool>();
  private fingerprint = '';
  private readonly namer: ToolNamer;
  private readonly secrets = new Map<string, Secret>();
  private readonly memory = new AgentMemory();
  loaded = false;
  /** The last listing: whether Mastra answered it with a listing, and when (ms since the epoch); undefined before the first. */
  lastListing: { succeeded: boolean; at: number } | undefined;
  /** When a listing last succeeded (ms since the epoch). */
  listedAt: number | undefined;
  /** Why the last listing failed, as a sentence, until one succeeds: what a call of a tool nobody has is told before the first listing. */
  listingProblem?: string;

  constructor(private readonly options: CatalogueOptions) {
    super();
    this.setMaxListeners(0);
    this.namer = new ToolNamer(options.toolPrefix, { workflow: options.workflowPrefix, resume: RESUME_PREFIX }, options.maxToolName);
  }

  /** The agents' tools. */
  get tools(): readonly AgentTool[] {
    return this.list;
  }

  /** The workflows' tools, sorted by tool name. */
  get workflows(): readonly WorkflowTool[] {
    return this.workflowList;
  }

  find(toolName: string): AgentTool | undefined {
    return this.byName.get(toolName);
  }

  findWorkflow(toolName: string): WorkflowTool | undefined {
    return this.workflowByName.get(toolName);
  }

  /** The workflow whose resume tool has this name. */
  findResumable(toolName: string): WorkflowTool | undefined {
    return this.resumeByName.get(toolName);
  }

  /** Lists the agents once; throws when Mastra cannot be listed, and then keeps the tools it had. */
  async refresh(signal?: AbortSignal): Promise<RefreshResult> {
    try {
      const result = await this.listNow(signal);
      this.listedAt = Date.now();
      this.lastListing = { succeeded: true, at: this.listedAt };
      return result;
    } catch (error) {
      // An aborted listing (timed out) still failed: Mastra gave no listing in time.
      this.lastListing = { succeeded: false, at: Date.now() };
      throw error;
    }
  }

  private async listNow(signal?: AbortSignal): Promise<RefreshResult> {
    const client = signal ? withAbortSignal(this.options.client, signal) : this.options.client;
    const listing = (await client.listAgents(undefined, true)) as Record<string, ListedAgent>;
    signal?.throwIfAborted();
    const { filter } = this.options;
    // After the agents: a token Mastra refuses is refused by the first listing, and nothing more is asked.
    const {
      workflows: workflowListing,
      undescribed,
      refused,
    }: { workflows: Record<string, ListedWorkflow>; undescribed: ReadonlyMap<string, string>; refused?: string } = this.options.listWorkflows === false
      ? { workflows: {}, undescribed: new Map<string, string>() }
      : await listWorkflows(client, (id) => filterAgentIds([id], filter, 'workflow').kept.length > 0);
    signal?.throwIfAborted();
    const listed = Object.keys(listing).sort();
    const listedWorkflows = Object.keys(workflowListing).sort();
    const { kept } = filterAgentIds(listed, filter);
    const keptWorkflows = filterAgentIds(listedWorkflows, filter, 'workflow').kept;
    const offered = kept.filter(isAddressable);
    if (this.options.askMemory !== false)
      await this.memory.update(client, new Map(offered.map((id) => [id, JSON.stringify(listing[id])])), () => this.learnedMemory(), signal);
    signal?.throwIfAborted();
    this.keepSecrets(listing, offered);
    const { tools: workflowTools, leftOut } = this.workflowToolsFor(workflowListing, keptWorkflows.filter(isAddressable), undescribed);
    const changed = this.replace(this.toolsFor(listing, offered), workflowTools);
    return {
      changed,
      listed,
      listedWorkflows,
      unmatchedIncludes: unmatchedIncludes(filter.include, { agent: listed, workflow: listedWorkflows }),
      leftOut: [
        ...listed.flatMap((id) => filteredOut(id, filter, 'agent')),
        ...listedWorkflows.flatMap((id) => filteredOut(id, filter, 'workflow')),
        ...kept.filter((id) => !isAddressable(id)).map((id): LeftOut => ({ kind: 'agent', id, reason: UNADDRESSABLE, byFilter: false })),
        ...keptWorkflows.filter((id) => !isAddressable(id)).map((id): LeftOut => ({ kind: 'workflow', id, reason: UNADDRESSABLE, byFilter: false })),
        ...leftOut,
      ],
      ...(refused !== undefined && !excludesKind(filter, 'workflow') ? { workflowsRefused: refused } : {}),
    };
  }

  /** Answers about memory that came after the listing that asked: the tools that offer threadId change. */
  private learnedMemory(): void {
    this.replace(
      this.list.map((tool) => ({ ...tool, hasMemory: this.memory.of(tool.agentId) })),
      this.workflowList,
    );
  }

  /** A call found this agent gone (Mastra answered "Agent with id … not found"): the list is out of date. */
  reportGone(agentId: string): void {
    this.emit('stale', agentId);
  }

  private toolsFor(listing: Record<string, ListedAgent>, ids: readonly string[]): AgentTool[] {
    const names = this.namer.namesFor(ids);
    return ids
      .map((agentId): AgentTool => {
        const agent = listing[agentId]!;
        const secret = this.secrets.get(agentId)!;
        return {
          agentId,
          toolName: names.get(agentId)!,
          title: agent.name || agentId,
          description: describeAgent(agentId, agent, this.options.describeFromInstructions),
          hasMemory: this.memory.of(agentId),
          redact: (text) => (this.secrets.get(agentId) ?? secret).redact(text),
        };
      })
      .sort(byToolName);
  }

  /** The workflows' tools; one Mastra could not describe, or whose schemas are out of bounds, is left out alone. */
  private workflowToolsFor(
    listing: Record<string, ListedWorkflow>,
    ids: readonly string[],
    undescribed: ReadonlyMap<string, string>,
  ): { tools: WorkflowTool[]; leftOut: LeftOut[] } {
    const leftOut: LeftOut[] = [];
    const servable = new Map<string, WorkflowSchemas>();
    for (const workflowId of ids) {
      const schemas = undescribed.has(workflowId) ? { problem: undescribed.get(workflowId)! } : schemasOf(listing[workflowId]!);
      if ('problem' in schemas) leftOut.push({ kind: 'workflow', id: workflowId, reason: schemas.problem, byFilter: false });
      else servable.set(workflowId, schemas);
    }
    const offered = [...servable.keys()];
    const names = this.namer.namesFor(offered, 'workflow');
    const resumeNames = this.namer.namesFor(
      offered.filter((id) => canSuspend(listing[id]!)),
      'resume',
    );
    const tools = offered.map((id) => workflowToolOf(id, listing[id]!, servable.get(id)!, names.get(id)!, resumeNames.get(id))).sort(byToolName);
    return { tools, leftOut };
  }

  private keepSecrets(listing: Record<string, ListedAgent>, ids: readonly string[]): void {
    const listed = new Set(ids);
    for (const id of this.secrets.keys()) if (!listed.has(id)) this.secrets.delete(id);
    for (const id of ids) {
      const agent = listing[id]!;
      const source = JSON.stringify([instructionsText(agent.instructions), publicTextsOf(id, agent)]);
      if (this.secrets.get(id)?.source !== source)
        this.secrets.set(id, { source, redact: createRedactor(instructionsText(agent.instructions), publicTextsOf(id, agent)) });
    }
  }

  private replace(tools: AgentTool[], workflows: WorkflowTool[]): boolean {
    this.loaded = true;
    const fingerprint = JSON.stringify([tools, workflows]);
    if (fingerprint === this.fingerprint) return false;
    this.fingerprint = fingerprint;
    this.list = tools;
    this.byName = new Map(tools.map((tool) => [tool.toolName, tool]));
    this.workflowList = workflows;
    this.workflowByName = new Map(workflows.map((workflow) => [workflow.toolName, workflow]));
    this.resumeByName = new Map(workflows.flatMap((workflow) => (workflow.resumeToolName ? [[workflow.resumeToolName, workflow]] : [])));
    this.emit('change');
    return true;
  }
}
