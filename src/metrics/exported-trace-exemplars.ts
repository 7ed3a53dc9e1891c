/**
 * Exemplars that always open a trace that exists: a measurement offers its trace as the exemplar of
 * its bucket only once the trace is known to be exported.
 *
 * - Head-sampled (traceFlags SAMPLED): exported (the worker exports sampled spans), offered at once.
 * - Not head-sampled, with keeping by outcome on (sdk/keep-by-outcome.ts): exported only if its local
 *   root ends in error or slow. That decision is made when the local root span ends, which may come
 *   before or after the request's response closes (the order is the http instrumentation's): a decision
 *   already made is read back; otherwise the measurement waits (bounded) for it, and a dropped trace
 *   leaves no exemplar.
 * - Otherwise (not sampled, no keeping; or no span exporter at all): no exemplar.
 * Error and slow samples are preferred within a bucket (duration-histogram.ts).
 */
import { TraceFlags } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import type { KeptBy } from '../sdk/kept-by';
import type { OutcomeKeepingProcessor } from '../sdk/keep-by-outcome';
import { DurationHistogram, ExemplarPriority } from './duration-histogram';
import type { Series } from './duration-histogram';

/** Undecided traces whose measurements wait for their decision, at most (the oldest is forgotten first). */
const MAX_WAITING_TRACES = 1000;

interface Waiting {
  series: Series;
  bucket: number;
  spanId: string;
  value: number;
  timeMs: number;
  priority: ExemplarPriority;
}

export class ExportedTraceExemplars {
  private readonly _waiting = new Map<string, Waiting[]>();

  /**
   * `exported`: whether any span exporter is configured (without one no trace exists to open).
   * `keeping`: the keep-by-outcome processor when TRACING_KEEP_* is on.
   */
  constructor(
    private readonly _exported: boolean,
    private readonly _keeping: OutcomeKeepingProcessor | undefined,
  ) {
    _keeping?.onDecision((traceId, keptBy) => this._decided(traceId, keptBy));
  }

  /** `spanContext` is the request's span (or its parent's); `isError` prefers it within its bucket. */
  offer(series: Series, bucket: number, spanContext: SpanContext | undefined, seconds: number, isError: boolean): void {
    if (!this._exported || spanContext === undefined) return;
    const priority = isError ? ExemplarPriority.Error : ExemplarPriority.Normal;
    if ((spanContext.traceFlags & TraceFlags.SAMPLED) !== 0) {
      DurationHistogram.offerExemplar(series, bucket, spanContext.traceId, spanContext.spanId, seconds, Date.now(), priority);
      return;
    }
    if (this._keeping === undefined) return;
    const { traceId, spanId } = spanContext;
    const decision = this._keeping.decisionOf(traceId);
    if (decision === 'dropped') return;
    if (decision !== undefined) {
      DurationHistogram.offerExemplar(series, bucket, traceId, spanId, seconds, Date.now(), keptPriority(decision, priority));
      return;
    }
    const waiting = this._waiting.get(traceId);
    const entry: Waiting = { series, bucket, spanId, value: seconds, timeMs: Date.now(), priority };
    if (waiting !== undefined) {
      waiting.push(entry);
      return;
    }
    this._waiting.set(traceId, [entry]);
    if (this._waiting.size > MAX_WAITING_TRACES) this._waiting.delete(this._waiting.keys().next().value as string);
  }

  private _decided(traceId: string, keptBy: KeptBy | undefined): void {
    const waiting = this._waiting.get(traceId);
    if (waiting === undefined) return;
    this._waiting.delete(traceId);
    if (keptBy === undefined) return; // dropped: its trace does not exist anywhere
    try {
      for (const { series, bucket, spanId, value, timeMs, priority } of waiting) {
        DurationHistogram.offerExemplar(series, bucket, traceId, spanId, value, timeMs, keptPriority(keptBy, priority));
      }
    } catch {
      // Never into the span processor that told us; an exemplar less is all that is lost.
    }
  }

  /** Measurements waiting for their trace's decision right now. */
  get waitingTraces(): number {
    return this._waiting.size;
  }
}

function keptPriority(keptBy: KeptBy, priority: ExemplarPriority): ExemplarPriority {
  if (keptBy === 'error') return ExemplarPriority.Error;
  return priority === ExemplarPriority.Error ? priority : ExemplarPriority.Slow;
}
