import { Server, type ServerContext } from '@modelcontextprotocol/server';
import type { CallToolResult, ServerNotification } from '@modelcontextprotocol/sdk/types.js';
import { callInRounds, canElicit } from './input-required.js';
import type { PausedCall } from './request-state.js';
import { prepareToolCall, serverInstructions, toolsOf } from '../../calls/tool-call.js';
import { silentLogger } from '../../log.js';
import { RequestError } from '../../kernel/errors.js';
import { progressFor } from '../../kernel/progress.js';
import { logMessageParams, withCallLog, type ClientLog } from '../../calls/call-log.js';
import { observeCall, observedPrepare, observedTask } from '../../calls/call-observer.js';
import { noObserver } from '../../kernel/observer.js';
import type { FrontOptions } from '../front-options.js';
import { SERVER_INFO } from '../../kernel/version.js';
import type { Caller } from '../../identity/callers.js';
import { acceptsTasks, registerTaskMethods, startModernTask, TASKS_EXTENSION } from './task-extension.js';

export interface ModernServerOptions extends Omit<FrontOptions, 'catalogue' | 'client'> {
  /** Aborted at shutdown, its reason the words for the client: each call still running stops upstream and answers that error. */
  stopped?: AbortSignal;
}

/** JSON-RPC "connection closed", the code a 2025 session's stopped call gets too. */
const CONNECTION_CLOSED = -32000;

/**
 * Log messages go on the request's own stream. The SDK sends them only when the request's `_meta`
 * carries `io.modelcontextprotocol/logLevel`, and only at or above it.
 */
const logOf =
  (ctx: ServerContext): ClientLog =>
  (level, message, details) => {
    const { data, logger } = logMessageParams(level, message, details);
    ctx.mcpReq.log(level, data, logger).catch(() => {});
  };

/**
 * The MCP 2026-07-28 server for one request (HTTP) or one connection (stdio) of one caller. Built
 * per request because a request is all there is in this era: no session, the caller on each one.
 */
export function createModernServer(
  caller: Caller,
  options: ModernServerOptions,
  { credentialed, taskStatus = false }: { credentialed: boolean /** Push `notifications/tasks` on this connection (stdio). */; taskStatus?: boolean },
): Server {
  const {
    baseUrl,
    logger = silentLogger,
    callTimeoutMs,
    maxResultChars,
    progress,
    refreshIntervalMs,
    stopped,
    autoApproveTools,
    requestStates: sealer,
  } = options;
  const observer = options.observer ?? noObserver;
  // Re-listing is what changes the tool list, so a listing stays true for about one refresh interval. Without
  // re-listing (0) the bridge cannot say how long: it still re-lists when a call finds an agent gone, or a replica
  // says so. ttlMs 0, "do not reuse", is the honest hint then; it costs a tools/list, answered from the catalogue.
  // A listing made for a token may differ per token: no shared cache may hand it to anyone else.
  const hint = { ttlMs: refreshIntervalMs, cacheScope: credentialed ? ('private' as const) : ('public' as const) };
  const server = new Server(SERVER_INFO, {
    // logging: per-call messages for a request whose `_meta` names a log level (there is no logging/setLevel in this era).
    capabilities: { tools: { listChanged: true }, logging: {}, extensions: { [TASKS_EXTENSION]: {} } },
    instructions: serverInstructions(baseUrl),
    cacheHints: { 'tools/list': hint, 'server/discover': hint },
    // A retry's requestState is opened (and refused -32602 when forged, expired or another caller's) before the handler runs.
    requestState: { verify: (state) => sealer.open(state, caller.identity) },
  });
  const tasks = options.tasks.forIdentity(caller.identity);
  const runs = { owners: options.tasks.runOwners, identity: caller.identity, allowForeign: options.resumeForeignRuns };

  server.setRequestHandler('tools/list', () => ({ tools: toolsOf(caller.catalogue, maxResultChars) as never }));

  server.setRequestHandler('tools/call', async (request, ctx: ServerContext) => {
    const { name, arguments: args } = request.params;
    const facts = { tool: name, era: '2026-07-28' as const, identity: caller.identity };
    const call = observedPrepare(observer, facts, () =>
      prepareToolCall({ catalogue: caller.catalogue, client: caller.client, baseUrl, callTimeoutMs, maxResultChars, autoApproveTools, runs }, name, args),
    );
    if (acceptsTasks(ctx.mcpReq.envelope as never))
      return (await startModernTask(
        observedTask(observer, facts, call),
        tasks,
        { logger, observer },
        taskStatus ? (n) => server.notification(n as never) : undefined,
        canElicit(ctx.mcpReq.envelope),
      )) as never;
    if (call.valid) logger.debug(`calling ${call.label} (${name})`);
    // The signal is aborted when the client closes this request's stream (HTTP) or cancels it (stdio), and at shutdown.
    const signal = stopped ? AbortSignal.any([ctx.mcpReq.signal, stopped]) : ctx.mcpReq.signal;
    const reporter = progressFor({ _meta: ctx.mcpReq._meta, sendNotification: (n: ServerNotification) => ctx.mcpReq.notify(n as never) }, progress);
    const round = {
      signal,
      progress: reporter,
      state: ctx.mcpReq.requestState<PausedCall>(),
      inputResponses: ctx.mcpReq.inputResponses,
      envelope: ctx.mcpReq.envelope,
      identity: caller.identity,
      sealer,
    };
    try {
      // An input_required round is logged as this request's answer: the retry is a request of its own.
      return (await observeCall(observer, { ...facts, task: false, signal }, () =>
        withCallLog(logOf(ctx), { label: call.label, ...call.ids, tool: name }, () => callInRounds(call, name, round) as Promise<CallToolResult>),
      )) as never;
    } catch (error) {
      // Answered on the request's own stream while it is still open, where closing it would only reset the client.
      if (stopped?.aborted && !ctx.mcpReq.signal.aborted) throw new RequestError(CONNECTION_CLOSED, String(stopped.reason));
      throw error;
    } finally {
      reporter?.stop();
    }
  });

  registerTaskMethods(server, tasks);
  return server;
}
