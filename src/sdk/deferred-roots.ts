/**
 * Unsampled request roots that become SDK spans only when their outcome keeps them.
 *
 * Why: with keep-by-outcome on (TRACING_KEEP_ERRORS, the default), head sampling's "no" used to mean
 * "record it anyway": every unsampled request built a full SDK span (attributes sanitized twice and
 * set one by one, the processors' onEnd) only for most of them to be dropped when they succeeded. Now
 * the http server instrumentation gets a cheap pending span for such a request
 * (instrumentations/http-server/pending-server-span.ts) that records what is done to it; when it ends
 * and might be kept (an error, an exception, a 5xx, its trace id shown to the client, slow), the SDK
 * span is started then, with the same ids, start time, attributes and calls, and ends through the
 * processors as before, so keep-by-outcome decides exactly as it did. Otherwise keep-by-outcome is told
 * the local trace was dropped (its waiting children go, late ones follow), and no SDK span ever existed.
 *
 * How, within sdk-trace's public shapes: the sampler (sampling.ts) answers NOT_RECORD instead of RECORD
 * while the instrumentation has armed `rootDeferral` around its startSpan, so the Tracer returns a
 * non-recording span with freshly generated ids; later the tracer starts the real span while
 * `materializing` makes the sampler answer RECORD at once, and the provider's id generator
 * (ReusableIdGenerator) hands out the pending span's ids for that one call.
 */
import type { IdGenerator } from '@opentelemetry/sdk-trace';
import type { Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { PooledIdGenerator } from './pooled-id-generator';

/** One synchronous handshake between the http server instrumentation and the sampler. */
export const rootDeferral = {
  /** Set around the instrumentation's startSpan call: the sampler may defer this span. */
  armed: false,
  /** Set by the sampler when it deferred: the span returned is a placeholder for a pending one. */
  deferred: false,
  /** Set while a pending root becomes an SDK span: the sampler records it, unsampled, without deciding again. */
  materializing: false,
};

/** Random ids (pooled-id-generator.ts), except for the one span being materialized, which gets its pending ids back. */
export class ReusableIdGenerator implements IdGenerator {
  private readonly _random: IdGenerator = new PooledIdGenerator();
  private _traceId: string | undefined;
  private _spanId: string | undefined;

  generateTraceId(): string {
    const reused = this._traceId;
    if (reused === undefined) return this._random.generateTraceId();
    this._traceId = undefined;
    return reused;
  }

  generateSpanId(): string {
    const reused = this._spanId;
    if (reused === undefined) return this._random.generateSpanId();
    this._spanId = undefined;
    return reused;
  }

  reuseNext(traceId: string, spanId: string): void {
    this._traceId = traceId;
    this._spanId = spanId;
  }

  clear(): void {
    this._traceId = undefined;
    this._spanId = undefined;
  }
}

interface DeferralSupport {
  ids: ReusableIdGenerator;
  /** keep-by-outcome: the local trace of this root was decided without an SDK span (dropped). */
  dropLocalTrace: (traceId: string) => void;
  /** TRACING_KEEP_SLOWER_THAN_MS, when set: a root that took this long might be kept. */
  keepSlowerThanMs: number | undefined;
}

let support: DeferralSupport | undefined;

/** Called by tracing.ts when keep-by-outcome is on with the agent's provider; undefined turns deferral off. */
export function supportRootDeferral(value: DeferralSupport | undefined): void {
  support = value;
  rootDeferral.armed = false;
  rootDeferral.deferred = false;
  rootDeferral.materializing = false;
}

/** Whether unsampled roots may be deferred in this process. */
export function rootDeferralSupported(): boolean {
  return support !== undefined;
}

export function slowRootThresholdMs(): number | undefined {
  return support?.keepSlowerThanMs;
}

/** Starts the SDK span of a pending root, with its ids (traceId is used only when the root has no valid parent). */
export function startMaterializedRoot(tracer: Tracer, name: string, options: SpanOptions, parentContext: Context, traceId: string, spanId: string): Span {
  const current = support;
  if (current === undefined) return tracer.startSpan(name, options, parentContext);
  current.ids.reuseNext(traceId, spanId);
  rootDeferral.materializing = true;
  try {
    return tracer.startSpan(name, options, parentContext);
  } finally {
    rootDeferral.materializing = false;
    current.ids.clear();
  }
}

export function dropPendingRoot(traceId: string): void {
  support?.dropLocalTrace(traceId);
}
