/**
 * Keep what matters, at any sample rate: a request that fails (or is slow) is exported with its child
 * spans even when head sampling said no, so the trace_id in its error body always leads to a trace.
 *
 * Approach: the sampler (sampling.ts) records the spans of traces it did not sample (decision RECORD:
 * recorded, `sampled` flag off, so the traceparent sent downstream still carries the head decision).
 * This processor sits in front of the export processor:
 * - sampled spans pass straight through, as before;
 * - an unsampled span that is not a local root waits in `_pending` under its trace id;
 * - when a local root (no parent, or a remote one: the request's SERVER span) ends, its outcome decides
 *   for the whole local trace: kept (`error`, else `slow`) sends the waiting spans and the root to the
 *   export processor marked `otel_agent.kept_by`; otherwise they are dropped, at no export cost;
 * - a span that ends after its local root (fire-and-forget work, express's request-handler span) follows
 *   the root's decision: a kept trace is remembered for 30-60 s (its last 5,000-10,000 at least and at
 *   most), a dropped one in a table of recent drops that a newer one may take over (decision-memory.ts);
 *   a trace kept once stays kept for its late spans, even if another of its local roots is dropped.
 * Bounded: at most TRACING_KEEP_MAX_PENDING_SPANS spans wait; past that the oldest trace's spans are
 * dropped and counted (`pendingDropped`), never unbounded growth. A trace whose local root never ends
 * is dropped when it becomes the oldest.
 *
 * What "error" means (TRACING_KEEP_ERRORS): the local root has status ERROR, an `exception` event, an
 * `http.response.status_code` >= 500, or the agent put its trace id into the response body (a 4xx JSON
 * error with `trace_id`: the customer can paste that id, so it must lead somewhere). A plain 4xx
 * without an exception or a trace id in its body (404 from a scanner, a 401) is not kept: client errors
 * are common and would turn keeping into sampling everything.
 */
import { SpanKind, SpanStatusCode, TraceFlags } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';
import { wasTraceIdShown } from '../patches/request-spans';
import { DecisionMemory, DroppedTraceIds } from './decision-memory';
import type { KeptBy } from './kept-by';
import type { WorkerSpanProcessor } from './worker-span-processor';

/** How long a kept trace's decision stays known for its late spans at most, and how many are remembered at most. */
const DECISION_MEMORY_MS = 60_000;
const DECISION_MEMORY_MAX = 10_000;
const DROPPED = 'dropped';

export interface KeepCounts {
  /** Local traces kept, by reason. */
  error: number;
  slow: number;
  /** Spans exported because their trace was kept. */
  spans: number;
  /** Spans dropped because too many were waiting (TRACING_KEEP_MAX_PENDING_SPANS). */
  pendingDropped: number;
}

export class OutcomeKeepingProcessor implements SpanProcessor {
  /** Trace id -> its unsampled spans that ended before their local root (insertion order = age). */
  private readonly _pending = new Map<string, ReadableSpan[]>();
  private _pendingCount = 0;
  /** Trace id -> why its local root was kept (a trace kept once stays kept for its late spans). */
  private readonly _kept = new DecisionMemory<KeptBy>(DECISION_MEMORY_MS, DECISION_MEMORY_MAX);
  /** Local traces dropped lately (nearly every unsampled request's): a cheaper, forgetful memory. */
  private readonly _dropped = new DroppedTraceIds();
  readonly counts: KeepCounts = { error: 0, slow: 0, spans: 0, pendingDropped: 0 };
  /** Told each local trace's decision as it is made (metrics/exported-trace-exemplars.ts, when metrics are on). */
  private _decisionListener: ((traceId: string, keptBy: KeptBy | undefined) => void) | undefined;

  constructor(
    private readonly _config: AgentConfig,
    private readonly _export: WorkerSpanProcessor,
    private readonly _logger: AgentLogger,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this._export.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    const spanContext = span.spanContext();
    if ((spanContext.traceFlags & TraceFlags.SAMPLED) !== 0) {
      this._export.onEnd(span);
      return;
    }
    const traceId = spanContext.traceId;
    const parent = span.parentSpanContext;
    const isLocalRoot = parent === undefined || parent.isRemote === true;
    if (!isLocalRoot) {
      // A span that ends after its local root (express's request-handler span often does) follows the
      // decision already made; only spans of undecided traces wait.
      const decided = this._decision(traceId);
      if (decided === undefined) this._hold(traceId, span);
      else if (decided !== DROPPED) this._sendKept(span, decided);
      return;
    }
    const keptBy = this._outcomeOf(span);
    const waiting = this._decide(traceId, keptBy);
    if (keptBy === undefined) return; // not head-sampled, nothing went wrong: dropped at no export cost
    this.counts[keptBy]++;
    this._logger.debug(
      `kept trace ${traceId} not head-sampled (${keptBy}; ${(waiting?.length ?? 0) + 1} spans; so far ${this.counts.error} error, ${this.counts.slow} slow)`,
    );
    if (waiting !== undefined) for (const child of waiting) this._sendKept(child, keptBy);
    this._sendKept(span, keptBy);
  }

  /**
   * A local root that never became an SDK span ended without anything that could keep it
   * (deferred-roots.ts): its local trace is dropped, as onEnd drops a recorded root that succeeded.
   */
  dropLocalTrace(traceId: string): void {
    this._decide(traceId, undefined);
  }

  /** Records a local trace's decision; returns its spans that were waiting for it (taken out). */
  private _decide(traceId: string, keptBy: KeptBy | undefined): ReadableSpan[] | undefined {
    // Usually nothing waits (an unsampled request's own layers are not SDK spans unless kept): no hashing then.
    const waiting = this._pending.size === 0 ? undefined : this._pending.get(traceId);
    if (waiting !== undefined) {
      this._pending.delete(traceId);
      this._pendingCount -= waiting.length;
    }
    if (keptBy === undefined) this._dropped.add(traceId);
    else this._kept.set(traceId, keptBy);
    this._decisionListener?.(traceId, keptBy);
    return waiting;
  }

  private _outcomeOf(root: ReadableSpan): KeptBy | undefined {
    if (this._config.keepErrors && isFailure(root)) return 'error';
    const slowMs = this._config.keepSlowerThanMs;
    if (slowMs !== undefined && hrTimeToMilliseconds(root.duration) >= slowMs) return 'slow';
    return undefined;
  }

  private _sendKept(span: ReadableSpan, keptBy: KeptBy): void {
    this.counts.spans++;
    this._export.acceptKept(span, keptBy);
  }

  private _hold(traceId: string, span: ReadableSpan): void {
    const waiting = this._pending.get(traceId);
    if (waiting !== undefined) waiting.push(span);
    else this._pending.set(traceId, [span]);
    this._pendingCount++;
    while (this._pendingCount > this._config.keepMaxPendingSpans) {
      const oldest = this._pending.keys().next();
      if (oldest.done === true) break;
      const dropped = this._pending.get(oldest.value)!;
      this._pending.delete(oldest.value);
      this._pendingCount -= dropped.length;
      this.counts.pendingDropped += dropped.length;
    }
  }

  /** Sets the one listener of decisions: `keptBy` undefined means the trace was dropped. */
  onDecision(listener: ((traceId: string, keptBy: KeptBy | undefined) => void) | undefined): void {
    this._decisionListener = listener;
  }

  /** A local trace's decision if it was made (and is still remembered): a reason, 'dropped', or undefined (not yet). */
  decisionOf(traceId: string): KeptBy | 'dropped' | undefined {
    return this._decision(traceId);
  }

  private _decision(traceId: string): KeptBy | typeof DROPPED | undefined {
    return this._kept.get(traceId) ?? (this._dropped.has(traceId) ? DROPPED : undefined);
  }

  /** Spans waiting for their local root's outcome right now. */
  get pendingSpans(): number {
    return this._pendingCount;
  }

  forceFlush(): Promise<void> {
    return this._export.forceFlush();
  }

  shutdown(): Promise<void> {
    return this._export.shutdown();
  }
}

function isFailure(root: ReadableSpan): boolean {
  if (root.status.code === SpanStatusCode.ERROR) return true;
  if (root.events.some((event) => event.name === 'exception')) return true;
  const status = root.attributes['http.response.status_code'];
  if (root.kind === SpanKind.SERVER && typeof status === 'number' && status >= 500) return true;
  return wasTraceIdShown(root);
}
