import type { Logger } from '../log.js';
import { withHeaders } from '../mastra-client.js';
import type { CallTrace, Tracing } from '../kernel/call-trace.js';
import { callerTraceOf, type CallerTrace } from './trace-context.js';

/** No exporter: the caller's trace context is passed on to Mastra as it came, and nothing else is loaded. */
export const passingOn: Tracing = {
  startCall: async ({ meta, header }) => {
    const caller = await callerTraceOf({ meta, header });
    return caller && passedOn(caller);
  },
  shutdown: async () => {},
};

function passedOn(caller: CallerTrace): CallTrace {
  const { traceId, spanId } = caller.spanContext;
  const headers = { traceparent: caller.traceparent, ...(caller.tracestate ? { tracestate: caller.tracestate } : {}) };
  return {
    traceId,
    client: (client) => withHeaders(client, headers),
    runOptions: () => ({ traceId, parentSpanId: spanId }),
    event() {},
    end() {},
  };
}

const isTrue = (value: string | undefined) => /^\s*true\s*$/i.test(value ?? '');

/**
 * Where spans go, as the standard OTEL_* variables say: a traces or base OTLP endpoint, or
 * OTEL_TRACES_EXPORTER=otlp alone (the standard default endpoint); nothing when OTEL_SDK_DISABLED is true
 * or OTEL_TRACES_EXPORTER is none. Only OTLP over HTTP (JSON) is sent.
 */
export function otlpTracesUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (isTrue(env.OTEL_SDK_DISABLED)) return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim());
  if (exporters.includes('none')) return undefined;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return exporters.includes('otlp') ? 'http://localhost:4318/v1/traces' : undefined;
}

/** The tracing the environment asks for; the OpenTelemetry SDK is imported only when it asks for export. */
export async function openTracing(env: NodeJS.ProcessEnv, logger: Logger): Promise<Tracing> {
  const url = otlpTracesUrl(env);
  if (url === undefined) return passingOn;
  const { exportingTracing } = await import('./otel-export.js');
  return exportingTracing({ url, env, logger });
}
