/**
 * A middleware span that exists only if it turns out to matter (TRACING_EXPRESS_MIDDLEWARE_SPANS=auto).
 *
 * Approach: the layer runs with this object as its active span. Nothing is allocated in the SDK until
 * something needs the span:
 * - its span context is read: a child span is starting under it (the SDK's Tracer.startSpan reads
 *   `parentSpan.spanContext()`), a traceparent is being injected for an outgoing call, or a logger is
 *   correlating a record with it. The real span is started then, with the layer's start time, so the
 *   child's parent exists and is exported: a child never points at a dropped parent;
 * - the app touches it (setAttribute, addEvent, recordException, setStatus, ...);
 * - the layer errs (the instrumentation calls recordException);
 * - the layer took at least KEEP_AFTER_MS when it ends.
 * Otherwise `finish()` drops it: no span object, no id, nothing exported (if its id is needed later,
 * by work the layer left running, it is exported then, ending when the layer ended).
 * The real span goes through the tracer as usual (sampler, processors, keep-by-outcome), so it follows
 * the request's sampling decision.
 */
import type { Attributes, Context, Exception, Link, Span, SpanContext, SpanStatus, TimeInput, Tracer } from '@opentelemetry/api';

/** A layer that takes this long is kept even without an error or a child (the threshold). */
export const KEEP_AFTER_MS = 1;

export class DeferredLayerSpan implements Span {
  private _span: Span | undefined;
  /** performance.now() when the layer ended without needing a span; undefined while it runs. */
  private _droppedAt: number | undefined;

  constructor(
    private readonly _tracer: Tracer,
    private readonly _name: string,
    private readonly _attributes: Attributes,
    private readonly _parentContext: Context,
    /** performance.now() when the layer was dispatched. */
    private readonly _startTime: number,
  ) {}

  /** The SDK span, started now with the layer's start time if it was not already. */
  private _materialize(): Span {
    if (this._span === undefined) {
      this._span = this._tracer.startSpan(this._name, { attributes: this._attributes, startTime: this._startTime }, this._parentContext);
      // Needed after the layer ended (work the middleware left running after next() starts a child):
      // the span is exported as the layer ran, so that child has its parent too.
      if (this._droppedAt !== undefined) this._span.end(this._droppedAt);
    }
    return this._span;
  }

  /** Ends the layer: the span is exported if it was needed or was slow, else it never existed. */
  finish(): void {
    const now = performance.now();
    if (this._span === undefined && now - this._startTime < KEEP_AFTER_MS) {
      this._droppedAt = now;
      return;
    }
    const span = this._materialize();
    // The app may have ended the active span itself; ending twice is a diag error in the SDK.
    if (span.isRecording()) span.end(now);
  }

  spanContext(): SpanContext {
    return this._materialize().spanContext();
  }
  setAttribute(key: string, value: Parameters<Span['setAttribute']>[1]): this {
    this._materialize().setAttribute(key, value);
    return this;
  }
  setAttributes(attributes: Attributes): this {
    this._materialize().setAttributes(attributes);
    return this;
  }
  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    this._materialize().addEvent(name, attributesOrStartTime, startTime);
    return this;
  }
  addLink(link: Link): this {
    this._materialize().addLink(link);
    return this;
  }
  addLinks(links: Link[]): this {
    this._materialize().addLinks(links);
    return this;
  }
  setStatus(status: SpanStatus): this {
    this._materialize().setStatus(status);
    return this;
  }
  updateName(name: string): this {
    this._materialize().updateName(name);
    return this;
  }
  end(endTime?: TimeInput): void {
    this._materialize().end(endTime);
  }
  isRecording(): boolean {
    return this._span === undefined || this._span.isRecording();
  }
  recordException(exception: Exception, time?: TimeInput): void {
    this._materialize().recordException(exception, time);
  }
}
