import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { elicitationAsker } from './elicitation.js';
import type { FrontOptions } from '../front-options.js';
import { toolListChanges } from '../tool-list-changes.js';
import { startTask } from '../../tasks/task-runner.js';
import { prepareToolCall, serverInstructions, toolsOf } from '../../calls/tool-call.js';
import { tracedCall } from '../../calls/traced-call.js';
import { clientLogOf } from './client-log.js';
import { SessionQuestionQueue } from './question-queue.js';
import { withCallLog } from '../../calls/call-log.js';
import { type CallFacts, observeCall, observedPrepare, observedTask } from '../../calls/call-observer.js';
import { noObserver } from '../../kernel/observer.js';
import { silentLogger } from '../../log.js';
import { progressFor } from '../../kernel/progress.js';
import { refuseInvalidParams } from './request-params.js';
import type { CallerTasks } from '../../tasks/task-store.js';
import { SERVER_INFO } from '../../kernel/version.js';
import { SERVICE_IDENTITY } from '../../identity/callers.js';

/** A 2025-11-25 server: the shared front options, and the session or identity its tasks belong to. */
export interface ServerOptions extends FrontOptions {
  /** This session's own tasks, when the transport needs to see them (HTTP idle expiry). Default: opened on `tasks`. */
  sessionTasks?: CallerTasks;
  /** The tasks of the caller's identity, shared by its requests (`--stateless`): used instead, and left open when this server closes. */
  identityTasks?: CallerTasks;
  /** A server for one request of a bridge without sessions: no stream can carry `list_changed`, so none is offered. Default false. */
  perRequest?: boolean;
  /** Who is calling (`Caller.identity`, a hash): the workflow runs this server starts are theirs. Default: the service identity. */
  identity?: string;
}

/** A 2025 call's trace: its `_meta`, else its HTTP headers; the version a 2025 HTTP client names on each request, else the era's. */
function traceStartOf(tool: string, meta: Record<string, unknown> | undefined, headers: Record<string, string | string[] | undefined> | undefined) {
  const header = (name: string) => {
    const value = headers?.[name];
    return Array.isArray(value) ? value[0] : value;
  };
  return { tool, meta, header, transport: headers ? ('http' as const) : ('stdio' as const), protocolVersion: header('mcp-protocol-version') ?? LEGACY_ERA };
}

const LEGACY_ERA = '2025-11-25';

/** The SDK would build an Ajv instance per session (it checks elicitation answers); one is enough. */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

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
  const { catalogue, client, baseUrl, logger = silentLogger, callTimeoutMs, maxResultChars, progress, autoApproveTools, observer = noObserver } = options;
  const board = options.tasks;
  const sessionTasks = options.identityTasks ?? options.sessionTasks ?? board.openSession();
  const runs = { owners: board.runOwners, identity: options.identity ?? SERVICE_IDENTITY, allowForeign: options.resumeForeignRuns };
  const perRequest = options.perRequest === true;
  const server = new BridgeServer(SERVER_INFO, {
    capabilities: { tools: { listChanged: !perRequest }, tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } }, logging: {} },
    // The SDK answers tasks/get, tasks/result, tasks/list and tasks/cancel from this store.
    taskStore: sessionTasks,
    instructions: serverInstructions(baseUrl),
    debouncedNotificationMethods: ['notifications/tools/list_changed'],
    // A task's question (elicitation/create) waits here until the client's tasks/result collects it.
    taskMessageQueue: new SessionQuestionQueue(sessionTasks),
    jsonSchemaValidator,
  });

  const clientLog = clientLogOf(server);
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: toolsOf(catalogue, maxResultChars) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name, arguments: args } = request.params;
    const facts: CallFacts = { tool: name, era: '2025-11-25', identity: runs.identity };
    const call = await tracedCall(options.tracing, traceStartOf(name, request.params._meta, extra.requestInfo?.headers), (trace) => {
      // The log line names the caller's trace.
      if (trace) facts.traceId = trace.traceId;
      return observedPrepare(observer, facts, () =>
        prepareToolCall({ catalogue, client, baseUrl, callTimeoutMs, maxResultChars, autoApproveTools, runs, trace }, name, args),
      );
    });
    const logged = (run: () => Promise<CallToolResult>) => withCallLog(clientLog, { label: call.label, ...call.ids, tool: name }, run);
    if (request.params.task && extra.taskStore) {
      // Even bad arguments make a task (a failed one): a task-augmented call must answer with a task.
      const taskCall = observedTask(observer, facts, call);
      return startTask((task) => logged(() => taskCall.run({ task, ask: elicitationAsker(server, { signal: task.signal, task }) })), {
        session: sessionTasks,
        store: extra.taskStore,
        requestedTtl: extra.taskRequestedTtl,
        label: call.label,
        logger,
        observer,
      });
    }
    if (call.valid) logger.debug(`calling ${call.label} (${name})`);
    // extra.signal is aborted by notifications/cancelled and when the transport closes; both stop the upstream run.
    const ask = elicitationAsker(server, { signal: extra.signal, relatedRequestId: extra.requestId });
    return observeCall(observer, { ...facts, task: false, signal: extra.signal }, () =>
      logged(() => call.run({ signal: extra.signal, progress: progressFor(extra, progress), ask })),
    );
  });

  // Transport trouble (a response that could not be sent to a client that left) is not the call's failure.
  server.onerror = (error) => logger.debug(`MCP session: ${error.message}`);

  const changes = toolListChanges(() => server.sendToolListChanged());
  if (!perRequest) changes.watch(catalogue);
  const previousOnClose = server.onclose;
  server.onclose = () => {
    changes.stop();
    if (!options.identityTasks) sessionTasks.close();
    previousOnClose?.();
  };
  return server;
}
