/**
 * The `tracecontext` propagator: upstream's W3CTraceContextPropagator (@opentelemetry/core 2.11.0)
 * with two Trace Context Level 2 rules added around it, owning neither parsing nor serializing:
 *
 * - Extract: an invalid `tracestate` is discarded whole (w3c-tracestate.ts says why upstream's
 *   member-by-member dropping is not enough). Upstream's extract runs on a getter that hides such a
 *   header, so the traceparent still applies ("failure to parse tracestate MUST NOT affect the parsing
 *   of traceparent", https://www.w3.org/TR/trace-context-2/#tracestate-header) and the span and every
 *   outgoing call carry no tracestate. A valid header goes to upstream's TraceState unchanged.
 * - Inject: the `random` flag (0x02) on the traceparent of a trace this process started, the caller's
 *   bit on a joined one (trace-origin.ts). The span context upstream serializes is a copy with those
 *   flags; spans, samplers and processors keep seeing the SDK's own flags (sampled bit only), as
 *   sampling.ts, keep-by-outcome.ts and worker-span-processor.ts expect.
 *
 * Multiple tracestate fields are joined with "," before validation, as upstream joins them
 * (W3CTraceContextPropagator.js extract) and RFC 7230 section 3.2.2 prescribes.
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/packages/opentelemetry-core/src/trace/W3CTraceContextPropagator.ts
 */
import { trace } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';
import { isValidTracestate } from './w3c-tracestate';
import { wireTraceFlags } from './trace-origin';

const TRACESTATE = 'tracestate';

/** The tracestate header as upstream would combine it, or undefined when absent or not a string. */
export function combinedTracestate(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'string' ? value : undefined;
}

export class TraceContextLevel2Propagator implements TextMapPropagator {
  constructor(private readonly _upstream: W3CTraceContextPropagator) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    // A remote span context is passed on as it came (a service that only forwards changes nothing).
    if (spanContext !== undefined && spanContext.isRemote !== true && trace.isSpanContextValid(spanContext)) {
      const traceFlags = wireTraceFlags(context, spanContext);
      if (traceFlags !== spanContext.traceFlags) context = trace.setSpanContext(context, { ...spanContext, traceFlags });
    }
    this._upstream.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const tracestate = combinedTracestate(getter.get(carrier, TRACESTATE));
    if (tracestate === undefined || isValidTracestate(tracestate)) return this._upstream.extract(context, carrier, getter);
    const withoutTracestate: TextMapGetter = {
      get: (c, key) => (key === TRACESTATE ? undefined : getter.get(c, key)),
      keys: (c) => getter.keys(c).filter((key) => key.toLowerCase() !== TRACESTATE),
    };
    return this._upstream.extract(context, carrier, withoutTracestate);
  }

  fields(): string[] {
    return this._upstream.fields();
  }
}
