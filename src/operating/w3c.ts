import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** OpenTelemetry's W3C trace context, behind a dynamic import (trace-context.ts): parsing and writing `traceparent`/`tracestate`. */
const propagator = new W3CTraceContextPropagator();

/** The caller's trace context, validated. */
export interface CallerTrace {
  spanContext: SpanContext;
  /** As OpenTelemetry writes it back: passed on to Mastra when the bridge exports nothing. */
  traceparent: string;
  tracestate?: string;
}

export function extract(pair: { traceparent: string; tracestate?: string }): CallerTrace | undefined {
  const carrier: Record<string, string> = { traceparent: pair.traceparent, ...(pair.tracestate ? { tracestate: pair.tracestate } : {}) };
  const spanContext = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { spanContext, ...headersOf(spanContext) } as CallerTrace;
}

/** `traceparent` (and `tracestate`) naming `spanContext` as the parent of what the request starts. */
export function headersOf(spanContext: SpanContext): { traceparent: string; tracestate?: string } {
  const headers: Record<string, string> = {};
  propagator.inject(trace.setSpanContext(context.active(), spanContext), headers, defaultTextMapSetter);
  return headers as { traceparent: string; tracestate?: string };
}
