import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import type { CallTrace, CallTraceStart, Tracing } from '../kernel/call-trace.js';
import { SERVER_INFO, VERSION } from '../kernel/version.js';
import type { Logger } from '../log.js';
import { nodeBodyOf } from '../kernel/mastra-fetch.js';
import { withFetch } from '../mastra-client.js';
import { callerTraceOf } from './trace-context.js';
import { headersOf } from './w3c.js';

/*
 * The bridge's own spans, exported over OTLP/HTTP: imported only when OTEL_* asks for it (tracing.ts).
 * A server span per tools/call, named and tagged by the MCP semantic conventions, a client span per
 * request to Mastra inside it, and events for progress, questions to the person and task status.
 * No message, answer, argument or token is ever an attribute.
 */

// The MCP and GenAI attributes are still incubating in @opentelemetry/semantic-conventions, whose docs say to copy them.
const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';

/** Span names stay few: the ids in Mastra's paths become their names. */
const ROUTE_IDS: [RegExp, string][] = [
  [/\/agents\/[^/]+/, '/agents/{agentId}'],
  [/\/workflows\/[^/]+/, '/workflows/{workflowId}'],
  [/\/runs\/[^/]+/, '/runs/{runId}'],
  [/\/memory\/threads\/[^/]+/, '/memory/threads/{threadId}'],
];
export const routeOf = (path: string): string => ROUTE_IDS.reduce((route, [id, name]) => route.replace(id, name), path);

/** A body that ends `span` when it is read to its end, fails or is cancelled: a streamed run's client span lasts as long as its stream. */
function endingWith(body: ReadableStream<Uint8Array>, end: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
}

function failed(span: Span, errorType: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType);
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** One tools/call's span, and the client spans of its requests to Mastra. */
function callSpan(tracer: Tracer, span: Span): CallTrace {
  const inCall = trace.setSpan(ROOT_CONTEXT, span);
  const open = () => tracer.startSpan('POST', { kind: SpanKind.CLIENT }, inCall);
  /** The client span runOptions() named as the parent of the run about to be started: the next request is sent in it. */
  let pending: Span | undefined;
  const send = async (url: string, init: RequestInit, fetchFn: typeof fetch): Promise<Response> => {
    const request = pending ?? open();
    pending = undefined;
    const method = init.method ?? 'GET';
    const target = new URL(url);
    request.updateName(`${method} ${routeOf(target.pathname)}`);
    request.setAttributes({
      [ATTR_HTTP_REQUEST_METHOD]: method,
      // Without the query: it may name a run, never a secret, but the path says enough.
      [ATTR_URL_FULL]: `${target.origin}${target.pathname}`,
      [ATTR_SERVER_ADDRESS]: target.hostname,
      [ATTR_SERVER_PORT]: Number(target.port) || (target.protocol === 'https:' ? 443 : 80),
    });
    const headers = { ...(init.headers as Record<string, string> | undefined), ...headersOf(request.spanContext()) };
    let ended = false;
    const end = () => {
      if (!ended) request.end();
      ended = true;
    };
    try {
      const response = await fetchFn(url, { ...init, headers });
      request.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.status);
      if (response.status >= 400) failed(request, String(response.status));
      // A streamed body handed back as Node's stream (a run's stream) ends the span when it closes.
      const nodeBody = nodeBodyOf(response);
      if (nodeBody) {
        nodeBody.once('close', end);
        return response;
      }
      if (!response.body) {
        end();
        return response;
      }
      return new Response(endingWith(response.body, end), { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      failed(request, (error as Error).name || 'Error');
      end();
      throw error;
    }
  };
  return {
    traceId: span.spanContext().traceId,
    client: (client) => withFetch(client, send),
    runOptions: () => {
      pending?.end();
      pending = open();
      return { traceId: pending.spanContext().traceId, parentSpanId: pending.spanContext().spanId };
    },
    event: (name, attributes) => span.addEvent(name, attributes),
    end: (errorType) => {
      pending?.end();
      pending = undefined;
      if (errorType) failed(span, errorType);
      span.end();
    },
  };
}

/** The standard batch delay, which the SDK no longer reads itself; its default is 5 s. */
const batchDelayOf = (env: NodeJS.ProcessEnv): number | undefined => {
  const ms = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return env.OTEL_BSP_SCHEDULE_DELAY && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
};

/** Where the spans go; the exporter reads OTEL_EXPORTER_OTLP_HEADERS and the like itself, the resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. */
export function exportingTracing({ url, env, logger }: { url: string; env: NodeJS.ProcessEnv; logger: Logger }): Tracing {
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: SERVER_INFO.name, [ATTR_SERVICE_VERSION]: VERSION }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: batchDelayOf(env) })],
  });
  const tracer = provider.getTracer(SERVER_INFO.name, VERSION);
  const { origin, pathname } = new URL(url);
  logger.info(`exporting traces over OTLP/HTTP to ${origin}${pathname}`);
  return {
    async startCall(start: CallTraceStart) {
      const caller = await callerTraceOf(start);
      const parent = caller ? trace.setSpanContext(ROOT_CONTEXT, caller.spanContext) : ROOT_CONTEXT;
      const span = tracer.startSpan(
        `tools/call ${start.tool}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [ATTR_MCP_METHOD_NAME]: 'tools/call',
            [ATTR_GEN_AI_TOOL_NAME]: start.tool,
            [ATTR_GEN_AI_OPERATION_NAME]: 'execute_tool',
            [ATTR_MCP_PROTOCOL_VERSION]: start.protocolVersion,
            // The conventions' words: stdio is a pipe, Streamable HTTP runs on TCP.
            [ATTR_NETWORK_TRANSPORT]: start.transport === 'stdio' ? 'pipe' : 'tcp',
          },
        },
        parent,
      );
      return callSpan(tracer, span);
    },
    shutdown: () => provider.shutdown(),
  };
}
