/** What the listing says of an agent, as tools/list may show it: never its instructions unless the operator opts in. */

/** The listing fields we read; `partial` listings carry all of them without the tools' schemas. */
export interface ListedAgent {
  name?: string;
  description?: string;
  instructions?: unknown;
  tools?: Record<string, { id?: string; description?: string }>;
}

const EXCERPT_LENGTH = 200;

/** Mastra lists instructions as a string, or as a list of strings and system messages. */
export function instructionsText(instructions: unknown): string {
  if (typeof instructions === 'string') return instructions;
  if (!Array.isArray(instructions)) return '';
  return instructions
    .map((part) => (typeof part === 'string' ? part : (part as { content?: unknown })?.content))
    .filter((content) => typeof content === 'string')
    .join('\n');
}

/** The first paragraph of the instructions, cut at a word: enough to tell what the agent is for. */
function excerpt(instructions: unknown): string {
  const first =
    instructionsText(instructions)
      .trim()
      .split(/\n\s*\n|\n/)[0]
      ?.replace(/\s+/g, ' ')
      .trim() ?? '';
  if (first.length <= EXCERPT_LENGTH) return first;
  const cut = first.slice(0, EXCERPT_LENGTH);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 0 ? cut.lastIndexOf(' ') : EXCERPT_LENGTH)}…`;
}

/**
 * An agent's tools by their keys: the names its model calls them by, and so the names an approval question and a
 * result's toolCalls carry (a tool's id may differ: `buy: createTool({ id: 'purchase-item' })`).
 */
const toolKeysOf = (agent: ListedAgent) => Object.keys(agent.tools ?? {});

/**
 * The agent's name, description and tools. Its instructions are its system prompt, a secret: an
 * excerpt stands in for a missing description only when the operator opts in.
 */
export function describeAgent(agentId: string, agent: ListedAgent, fromInstructions = false): string {
  const name = agent.name || agentId;
  const purpose = agent.description?.trim() || (fromInstructions ? excerpt(agent.instructions) : '');
  const tools = toolKeysOf(agent);
  return [`Ask the Mastra agent "${name}" and get its answer.`, purpose, tools.length ? `It can use these tools: ${tools.join(', ')}.` : '']
    .filter(Boolean)
    .join(' ');
}

/** What tools/list shows of an agent anyway: quoting it is no leak, even where the instructions repeat it. */
export const publicTextsOf = (agentId: string, agent: ListedAgent) => [
  agentId,
  agent.name ?? '',
  agent.description ?? '',
  ...toolKeysOf(agent),
  ...Object.values(agent.tools ?? {}).flatMap((tool) => (tool.id ? [tool.id] : [])),
];
