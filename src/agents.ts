import type { MastraClient } from '@mastra/client-js';
import { EventEmitter } from 'node:events';
import { filterAgentIds, type AgentFilter } from './agent-filter.js';
import { toolNamesFor } from './tool-names.js';

/** What the bridge needs to know of one Mastra agent to offer it as a tool. */
export interface AgentTool {
  agentId: string;
  toolName: string;
  title: string;
  description: string;
}

/** The listing fields we read; `partial` listings carry all of them without the tools' schemas. */
interface ListedAgent {
  name?: string;
  description?: string;
  instructions?: unknown;
  tools?: Record<string, { id?: string; description?: string }>;
}

const EXCERPT_LENGTH = 200;

/** The first paragraph of the instructions, cut at a word: enough to tell what the agent is for. */
function excerpt(instructions: unknown): string {
  const text =
    typeof instructions === 'string'
      ? instructions
      : Array.isArray(instructions)
        ? instructions.map((part) => (typeof part === 'string' ? part : (part as { content?: unknown })?.content)).filter((c) => typeof c === 'string').join('\n')
        : '';
  const first = text.trim().split(/\n\s*\n|\n/)[0]?.replace(/\s+/g, ' ').trim() ?? '';
  if (first.length <= EXCERPT_LENGTH) return first;
  const cut = first.slice(0, EXCERPT_LENGTH);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 0 ? cut.lastIndexOf(' ') : EXCERPT_LENGTH)}…`;
}

export function describeAgent(agentId: string, agent: ListedAgent): string {
  const name = agent.name || agentId;
  const purpose = agent.description?.trim() || excerpt(agent.instructions);
  const tools = Object.entries(agent.tools ?? {}).map(([key, tool]) => tool.id || key);
  return [
    `Ask the Mastra agent "${name}" and get its answer.`,
    purpose,
    tools.length ? `It can use these tools: ${tools.join(', ')}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function toAgentTools(listing: Record<string, ListedAgent>, prefix: string, ids: readonly string[] = Object.keys(listing)): AgentTool[] {
  const names = toolNamesFor(ids, prefix);
  return ids
    .map((agentId) => {
      const agent = listing[agentId]!;
      return { agentId, toolName: names.get(agentId)!, title: agent.name || agentId, description: describeAgent(agentId, agent) };
    })
    .sort((a, b) => (a.toolName < b.toolName ? -1 : a.toolName > b.toolName ? 1 : 0));
}

export interface CatalogueOptions {
  /** The service-level client used for listing. */
  client: MastraClient;
  /** Tool name prefix. Default `ask_`. */
  prefix?: string;
  /** Which agents to offer. Default: all. */
  filter?: AgentFilter;
}

/** What one listing found. */
export interface RefreshResult {
  /** Whether the offered tools changed (and `change` was emitted). */
  changed: boolean;
  /** Every agent id Mastra listed, filtered or not, sorted. */
  listed: string[];
  /** Include globs that matched no listed agent. */
  unmatchedIncludes: string[];
}

/**
 * The agents the bridge offers, shared by every session. Listeners hear `change` only when the
 * set of tools or one of their descriptions really changed, and `stale` when a call found that
 * an agent is gone (whoever keeps the catalogue fresh re-lists then).
 */
export class AgentCatalogue extends EventEmitter<{ change: []; stale: [agentId: string] }> {
  private byName = new Map<string, AgentTool>();
  private list: AgentTool[] = [];
  private fingerprint = '';
  loaded = false;

  constructor(private readonly options: CatalogueOptions) {
    super();
    this.setMaxListeners(0);
  }

  get tools(): readonly AgentTool[] {
    return this.list;
  }

  find(toolName: string): AgentTool | undefined {
    return this.byName.get(toolName);
  }

  /** Lists the agents once; throws when Mastra cannot be listed, and then keeps the tools it had. */
  async refresh(signal?: AbortSignal): Promise<RefreshResult> {
    const listing = (await this.options.client.listAgents(undefined, true)) as Record<string, ListedAgent>;
    signal?.throwIfAborted();
    const listed = Object.keys(listing).sort();
    const { kept, unmatchedIncludes } = filterAgentIds(listed, this.options.filter ?? {});
    const changed = this.replace(toAgentTools(listing, this.options.prefix ?? 'ask_', kept));
    return { changed, listed, unmatchedIncludes };
  }

  /** A call found this agent gone (HTTP 404): the list is out of date. */
  reportGone(agentId: string): void {
    this.emit('stale', agentId);
  }

  private replace(tools: AgentTool[]): boolean {
    this.loaded = true;
    const fingerprint = JSON.stringify(tools);
    if (fingerprint === this.fingerprint) return false;
    this.fingerprint = fingerprint;
    this.list = tools;
    this.byName = new Map(tools.map((tool) => [tool.toolName, tool]));
    this.emit('change');
    return true;
  }
}
