import type { CallerTrace } from './w3c.js';

export type { CallerTrace };

/**
 * The caller's W3C trace context (SEP-414): a 2026-07-28 request's `_meta.traceparent`/`tracestate`, the
 * same keys in a 2025 request's `_meta`, else the HTTP `traceparent` header. OpenTelemetry's own
 * W3CTraceContextPropagator validates it; it is loaded on the first request that carries one, so a bridge
 * whose callers send none never loads it.
 */

/** Where a request may carry a trace context: its `_meta`, and on HTTP its headers. */
export interface TraceCarrier {
  meta?: Record<string, unknown>;
  /** Header lookup, lower-case names (`traceparent`, `tracestate`). */
  header?: (name: string) => string | undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** The raw pair, from `_meta` when it has a traceparent, else from the headers. */
function rawPair({ meta, header }: TraceCarrier): { traceparent: string; tracestate?: string } | undefined {
  const fromMeta = text(meta?.traceparent);
  if (fromMeta) return { traceparent: fromMeta, tracestate: text(meta?.tracestate) };
  const fromHeader = text(header?.('traceparent'));
  return fromHeader ? { traceparent: fromHeader, tracestate: text(header?.('tracestate')) } : undefined;
}

let w3c: Promise<typeof import('./w3c.js')> | undefined;
/** The propagator, loaded once. */
export const loadW3c = () => (w3c ??= import('./w3c.js'));

/** The caller's trace context, or undefined when it sent none or one that is not valid W3C trace context. */
export async function callerTraceOf(carrier: TraceCarrier): Promise<CallerTrace | undefined> {
  const pair = rawPair(carrier);
  if (!pair) return undefined;
  const { extract } = await loadW3c();
  return extract(pair);
}
