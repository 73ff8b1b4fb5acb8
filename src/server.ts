import type { MastraClient } from '@mastra/client-js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { callAgent } from './agent-call.js';
import { startAgentTask, type TaskRunContext } from './agent-task.js';
import type { AgentCatalogue, AgentTool } from './agents.js';
import { silentLogger, type Logger } from './log.js';
import { TaskBoard } from './task-board.js';
import { agentInput, explainInvalid, inputJsonSchema, outputJsonSchema } from './tool-schema.js';
import { VERSION } from './version.js';

export interface ServerOptions {
  /** The agents to offer; shared by every session. */
  catalogue: AgentCatalogue;
  /** The client this session's calls go through (service-level, or bound to the session's token). */
  client: MastraClient;
  /** The Mastra URL, named in error messages. */
  baseUrl: string;
  logger?: Logger;
  /** Where agent tasks live, shared by all sessions (limits, shutdown). Default: a board of this session's own, with default limits. */
  tasks?: TaskBoard;
}

function toTool(agent: AgentTool): Tool {
  return {
    name: agent.toolName,
    title: agent.title,
    description: agent.description,
    inputSchema: inputJsonSchema,
    outputSchema: outputJsonSchema,
    annotations: { title: agent.title, readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    // A client may run the agent as a task (start, poll, collect) or call it plainly as before.
    execution: { taskSupport: 'optional' },
  };
}

/** Tool definitions are rebuilt only when the catalogue changes, then shared by all sessions. */
const toolLists = new WeakMap<readonly AgentTool[], Tool[]>();
function toolsOf(catalogue: AgentCatalogue): Tool[] {
  let tools = toolLists.get(catalogue.tools);
  if (!tools) {
    tools = catalogue.tools.map(toTool);
    toolLists.set(catalogue.tools, tools);
  }
  return tools;
}

const errorResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/**
 * One MCP server session. It keeps no per-tool state: tools come from the shared catalogue, so a
 * session costs the same whether Mastra has ten agents or a thousand.
 */
export function createServer({ catalogue, client, baseUrl, logger = silentLogger, tasks = new TaskBoard() }: ServerOptions): Server {
  const sessionTasks = tasks.openSession();
  const server = new Server(
    { name: 'mastra-agents-mcp', title: 'Mastra agents', version: VERSION },
    {
      capabilities: { tools: { listChanged: true }, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } },
      // The SDK answers tasks/get, tasks/result, tasks/list and tasks/cancel from this store.
      taskStore: sessionTasks,
      instructions: `Each tool runs one agent of the Mastra server at ${baseUrl} and returns its answer. Pass threadId (and resourceId) to continue a conversation with an agent that has memory.`,
      debouncedNotificationMethods: ['notifications/tools/list_changed'],
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolsOf(catalogue) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    const agent = catalogue.find(name);
    if (!agent) {
      const known = catalogue.tools.length ? 'list the tools again to see the agents there are now' : `no agents are loaded from ${baseUrl} yet`;
      throw new McpError(ErrorCode.InvalidParams, `Unknown tool "${name}": ${known}.`);
    }
    const parsed = agentInput.safeParse(args ?? {});
    // A task run also gets `onProgress`, which sets the task's statusMessage; nothing reports progress into it yet.
    const run = ({ signal }: Partial<TaskRunContext>): Promise<CallToolResult> =>
      parsed.success
        ? callAgent(agent, parsed.data, { client, baseUrl, signal })
        : Promise.resolve(errorResult(`Invalid arguments for ${name}: ${explainInvalid(parsed.error)}.`));
    if (request.params.task && extra.taskStore) {
      // Even bad arguments make a task (a failed one): a task-augmented call must answer with a task.
      return startAgentTask(run, {
        session: sessionTasks,
        store: extra.taskStore,
        requestedTtl: extra.taskRequestedTtl,
        label: `agent "${agent.agentId}"`,
        logger,
      });
    }
    if (parsed.success) logger.debug(`calling agent "${agent.agentId}" (${name})`);
    return run({ signal: extra.signal });
  });

  const onChange = () => {
    server.sendToolListChanged().catch(() => {});
  };
  catalogue.on('change', onChange);
  const previousOnClose = server.onclose;
  server.onclose = () => {
    catalogue.off('change', onChange);
    sessionTasks.close();
    previousOnClose?.();
  };
  return server;
}
