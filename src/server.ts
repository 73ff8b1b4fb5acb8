import type { MastraClient } from '@mastra/client-js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { runAgent } from './agent-run.js';
import { startAgentTask, type TaskRunContext } from './agent-task.js';
import type { AgentCatalogue, AgentTool } from './agents.js';
import { clientLogOf, withCallLog } from './client-log.js';
import { RequestError } from './errors.js';
import { silentLogger, type Logger } from './log.js';
import { progressFor, type ProgressOptions, type ProgressReporter } from './progress.js';
import { refuseInvalidParams } from './request-params.js';
import { TaskBoard, type SessionTasks } from './task-board.js';
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
  /** Longest an agent run may take before it is aborted upstream; 0 means no limit. Default 10 minutes. */
  callTimeoutMs?: number;
  /** Pacing of progress notifications (coalescing, heartbeat). */
  progress?: ProgressOptions;
  /** Where agent tasks live, shared by all sessions (limits, shutdown). Default: a board of this session's own, with default limits. */
  tasks?: TaskBoard;
  /** This session's own tasks, when the transport needs to see them (HTTP idle expiry). Default: opened on `tasks`. */
  sessionTasks?: SessionTasks;
}

function toTool(agent: AgentTool): Tool {
  return {
    name: agent.toolName,
    title: agent.title,
    description: agent.description,
    inputSchema: inputJsonSchema,
    outputSchema: outputJsonSchema,
    // No destructiveHint: an agent's own tools may well change things, so the spec's default (true) is the honest one.
    annotations: { title: agent.title, readOnlyHint: false, openWorldHint: true },
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

/** A task's statusMessage follows its run the way progress notifications would; the task throttles it already. */
const statusUpdates = (report: (message: string) => void): ProgressReporter => ({ now: report, soon: report, stop() {} });

/** The SDK would build an Ajv instance per session (only ever used for elicitation, which we never send); one is enough. */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

const errorResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** The SDK's server, with bad request params answered -32602 in words (see request-params.ts). */
class BridgeServer extends Server {
  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    refuseInvalidParams(transport);
  }
}

/**
 * One MCP server session. It keeps no per-tool state: tools come from the shared catalogue, so a
 * session costs the same whether Mastra has ten agents or a thousand.
 */
export function createServer(options: ServerOptions): Server {
  const { catalogue, client, baseUrl, logger = silentLogger, callTimeoutMs, progress } = options;
  const sessionTasks = options.sessionTasks ?? (options.tasks ?? new TaskBoard()).openSession();
  const server = new BridgeServer(
    { name: 'mastra-agents-mcp', title: 'Mastra agents', version: VERSION },
    {
      capabilities: { tools: { listChanged: true }, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } }, logging: {} },
      // The SDK answers tasks/get, tasks/result, tasks/list and tasks/cancel from this store.
      taskStore: sessionTasks,
      instructions: `Each tool runs one agent of the Mastra server at ${baseUrl} and returns its answer. Pass threadId (and resourceId) to continue a conversation with an agent that has memory.`,
      debouncedNotificationMethods: ['notifications/tools/list_changed'],
      jsonSchemaValidator,
    },
  );

  const clientLog = clientLogOf(server);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolsOf(catalogue) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    const agent = catalogue.find(name);
    if (!agent) {
      const known = catalogue.tools.length ? 'list the tools again to see the agents there are now' : `no agents are loaded from ${baseUrl} yet`;
      throw new RequestError(ErrorCode.InvalidParams, `Unknown tool "${name}": ${known}.`);
    }
    const parsed = agentInput.safeParse(args ?? {});
    const run = ({ signal, onProgress }: Partial<TaskRunContext>): Promise<CallToolResult> =>
      parsed.success
        ? runAgent(agent, parsed.data, {
            client,
            baseUrl,
            // extra.signal is aborted by notifications/cancelled and when the transport closes; both stop the upstream run.
            signal,
            // A task is bounded by its TTL instead (--task-ttl-max): it exists for runs longer than any call should wait.
            callTimeoutMs: onProgress ? 0 : callTimeoutMs,
            progress: onProgress ? statusUpdates(onProgress) : progressFor(extra, progress),
            onAgentGone: (agentId) => catalogue.reportGone(agentId),
          })
        : Promise.resolve(errorResult(`Invalid arguments for ${name}: ${explainInvalid(parsed.error)}.`));
    const loggedRun = (context: Partial<TaskRunContext>) => withCallLog(clientLog, { agentId: agent.agentId, tool: name }, () => run(context));
    if (request.params.task && extra.taskStore) {
      // Even bad arguments make a task (a failed one): a task-augmented call must answer with a task.
      return startAgentTask(loggedRun, {
        session: sessionTasks,
        store: extra.taskStore,
        requestedTtl: extra.taskRequestedTtl,
        label: `agent "${agent.agentId}"`,
        logger,
      });
    }
    if (parsed.success) logger.debug(`calling agent "${agent.agentId}" (${name})`);
    return loggedRun({ signal: extra.signal });
  });

  // Transport trouble (a response that could not be sent to a client that left) is not the call's failure.
  server.onerror = (error) => logger.debug(`MCP session: ${error.message}`);

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
