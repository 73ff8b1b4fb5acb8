import type { MastraClient } from '@mastra/client-js';
import { EventEmitter } from 'node:events';
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

export function toAgentTools(listing: Record<string, ListedAgent>, prefix: string): AgentTool[] {
  const ids = Object.keys(listing);
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
}

/**
 * The agents the bridge offers, shared by every session. Listeners hear `change` only when the
 * set of tools or one of their descriptions really changed.
 */
export class AgentCatalogue extends EventEmitter<{ change: [] }> {
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

  /** Lists the agents once; throws when Mastra cannot be listed. Returns whether the tools changed. */
  async refresh(signal?: AbortSignal): Promise<boolean> {
    const listing = (await this.options.client.listAgents(undefined, true)) as Record<string, ListedAgent>;
    signal?.throwIfAborted();
    return this.replace(toAgentTools(listing, this.options.prefix ?? 'ask_'));
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
