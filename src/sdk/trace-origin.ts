/**
 * Whether this process started a trace or joined it, for the W3C Level 2 `random` trace flag:
 * https://www.w3.org/TR/trace-context-2/#random-trace-id-flag
 *
 * The flag says the trace id's right 7 bytes are random. It is ours to set only on traces the agent
 * starts (sdk-trace's RandomIdGenerator makes every id random); a joined trace keeps the caller's
 * bit. sdk-trace 2.11.0 cannot carry it on the span: Tracer.startSpan computes a span's traceFlags from
 * the sampling decision alone (`RECORD_AND_SAMPLED ? SAMPLED : NONE`, build/src/Tracer.js), so the
 * bit an incoming traceparent had is gone from the server span, an IdGenerator sees no flags, and a
 * span processor never sees non-recording spans. So the bit is decided where it is sent
 * (w3c-trace-context-propagator.ts inject), from this record.
 *
 * The record is a context value, set when a propagator extracts a remote parent
 * (TraceOriginPropagator wraps the whole composite, so a trace joined through b3, jaeger or xray
 * counts as joined too, with no random bit: those formats do not have one). Every span started under
 * that request derives its context from the extracted one, so the value reaches each outgoing call of
 * the request. A span whose trace id differs from the record (a new root under a request, or no
 * record at all) belongs to a trace this process started.
 */
import { createContextKey, trace } from '@opentelemetry/api';
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';

/** Trace Context Level 2's `random` flag (bit 1 of trace-flags). Not in @opentelemetry/api 1.x's TraceFlags. */
export const TRACE_FLAG_RANDOM = 0x02;

interface JoinedTrace {
  traceId: string;
  /** The random bit of the remote parent's flags, as it came. */
  random: boolean;
}

const JOINED_TRACE = createContextKey('@x/otel-agent joined trace');

/** Whether the trace `traceId`, in this context, has a random trace id as the Level 2 flag means it. */
export function traceIdIsRandom(context: Context, traceId: string): boolean {
  const joined = context.getValue(JOINED_TRACE) as JoinedTrace | undefined;
  return joined !== undefined && joined.traceId === traceId ? joined.random : true;
}

/** The propagators the configuration names, recording after each extraction which trace was joined. */
export class TraceOriginPropagator implements TextMapPropagator {
  constructor(private readonly _propagator: TextMapPropagator) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    this._propagator.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const extracted = this._propagator.extract(context, carrier, getter);
    const remote = trace.getSpanContext(extracted);
    if (remote === undefined || remote.isRemote !== true || !trace.isSpanContextValid(remote)) return extracted;
    return extracted.setValue(JOINED_TRACE, {
      traceId: remote.traceId,
      random: (remote.traceFlags & TRACE_FLAG_RANDOM) === TRACE_FLAG_RANDOM,
    } satisfies JoinedTrace);
  }

  fields(): string[] {
    return this._propagator.fields();
  }
}

/** The sampled bit as the SDK decided, with the random bit of the trace's origin. */
export function wireTraceFlags(context: Context, spanContext: { traceId: string; traceFlags: number }): number {
  const withoutRandom = spanContext.traceFlags & ~TRACE_FLAG_RANDOM & 0xff;
  return traceIdIsRandom(context, spanContext.traceId) ? withoutRandom | TRACE_FLAG_RANDOM : withoutRandom;
}
