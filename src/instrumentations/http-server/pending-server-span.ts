/**
 * The SERVER span of a request head sampling did not take, while its outcome is unknown
 * (sdk/deferred-roots.ts says why and how it becomes an SDK span).
 *
 * It is the request's span for everyone: the context, the RPC metadata, `serverSpanOf(req)`, the
 * app's `trace.getActiveSpan()`. Its span context is final (the ids the sampler's call generated, the
 * `sampled` flag off), so children, outgoing traceparents and log lines carry the ids the exported
 * span will have. What is done to it is logged in call order, with the time of each call where the SDK
 * would have taken "now", and replayed on the SDK span if one is started; `isRecording()` is true until
 * it ends, as for the recorded span it replaces.
 *
 * It might be kept, so it becomes an SDK span at its end, when: its status was set to ERROR, an
 * exception was recorded (or an `exception` event added), `http.response.status_code` was set to 500
 * or more, its trace id was shown to the client (patches/error-body-trace-id.ts), or it took at least
 * TRACING_KEEP_SLOWER_THAN_MS. That is a superset of what keep-by-outcome keeps, and keep-by-outcome
 * still decides on the SDK span. Otherwise its local trace is dropped at once.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Exception, Link, Span, SpanContext, SpanStatus, TimeInput, Tracer } from '@opentelemetry/api';
import { isTimeInput } from '@opentelemetry/core';
import { noteTraceIdShown, wasTraceIdShown } from '../../patches/request-spans';
import { reportInternalError } from '../../safe';
import { dropPendingRoot, rootDeferral, rootDeferralSupported, slowRootThresholdMs, startMaterializedRoot } from '../../sdk/deferred-roots';

const STATUS_CODE = 'http.response.status_code';

/** The calls made on the pending span, flat: [method, a, b, ...] per call, in order. */
type CallLog = unknown[];

const enum Call {
  SetAttribute,
  SetAttributes,
  AddEvent,
  AddLink,
  AddLinks,
  SetStatus,
  UpdateName,
  RecordException,
}

/**
 * A request's SERVER span: the SDK's, or for a request head sampling did not take while
 * keep-by-outcome is on, a pending span that becomes the SDK's only if the outcome may keep it.
 */
export function startServerSpan(tracer: Tracer, name: string, attributes: Attributes, parentContext: Context): Span {
  if (!rootDeferralSupported()) return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parentContext);
  const startTime = performance.now();
  let span: Span;
  rootDeferral.armed = true;
  try {
    span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parentContext);
  } finally {
    rootDeferral.armed = false;
  }
  if (!rootDeferral.deferred) return span;
  rootDeferral.deferred = false;
  return new PendingServerSpan(tracer, span.spanContext(), name, SpanKind.SERVER, attributes, parentContext, startTime);
}

export class PendingServerSpan implements Span {
  private _log: CallLog | undefined;
  private _mightKeep = false;
  private _ended = false;

  constructor(
    private readonly _tracer: Tracer,
    private readonly _spanContext: SpanContext,
    private readonly _name: string,
    private readonly _kind: SpanKind,
    private readonly _attributes: Attributes,
    private readonly _parentContext: Context,
    /** performance.now() when the request started. */
    private readonly _startTime: number,
  ) {}

  spanContext(): SpanContext {
    return this._spanContext;
  }

  isRecording(): boolean {
    return !this._ended;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (this._ended) return this;
    if (key === STATUS_CODE) this._noteStatusCode(value);
    this._record(Call.SetAttribute, key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    if (this._ended) return this;
    if (attributes !== null && typeof attributes === 'object' && STATUS_CODE in attributes) this._noteStatusCode(attributes[STATUS_CODE]);
    this._record(Call.SetAttributes, attributes, undefined);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this._ended) return this;
    if (name === 'exception') this._mightKeep = true;
    let attributes: Attributes | undefined;
    let time: TimeInput | undefined = startTime;
    if (isTimeInput(attributesOrStartTime)) time = attributesOrStartTime;
    else attributes = attributesOrStartTime;
    this._record(Call.AddEvent, name, attributes, time ?? performance.now());
    return this;
  }

  addLink(link: Link): this {
    if (!this._ended) this._record(Call.AddLink, link, undefined);
    return this;
  }

  addLinks(links: Link[]): this {
    if (!this._ended) this._record(Call.AddLinks, links, undefined);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this._ended) return this;
    if (status?.code === SpanStatusCode.ERROR) this._mightKeep = true;
    this._record(Call.SetStatus, status, undefined);
    return this;
  }

  updateName(name: string): this {
    if (!this._ended) this._record(Call.UpdateName, name, undefined);
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    if (this._ended) return;
    this._mightKeep = true;
    this._record(Call.RecordException, exception, time ?? performance.now());
  }

  end(endTime?: TimeInput): void {
    if (this._ended) return;
    this._ended = true;
    const end = endTime ?? performance.now();
    try {
      if (this._mightKeep || wasTraceIdShown(this) || this._isSlow(end)) this._materialize(end);
      else dropPendingRoot(this._spanContext.traceId);
    } catch (err) {
      reportInternalError('pending server span end', err);
    }
  }

  private _noteStatusCode(value: unknown): void {
    if (typeof value === 'number' && value >= 500) this._mightKeep = true;
  }

  private _isSlow(end: TimeInput): boolean {
    const slowMs = slowRootThresholdMs();
    return slowMs !== undefined && typeof end === 'number' && end - this._startTime >= slowMs;
  }

  private _record(call: Call, a: unknown, b: unknown, c?: unknown): void {
    const log = (this._log ??= []);
    log.push(call, a, b, c);
  }

  /** The SDK span this would have been, ended now through the processors (keep-by-outcome decides). */
  private _materialize(endTime: TimeInput): void {
    const { traceId, spanId } = this._spanContext;
    const span = startMaterializedRoot(
      this._tracer,
      this._name,
      { kind: this._kind, attributes: this._attributes, startTime: this._startTime },
      this._parentContext,
      traceId,
      spanId,
    );
    const log = this._log;
    if (log !== undefined) {
      for (let i = 0; i < log.length; i += 4) replay(span, log[i] as Call, log[i + 1], log[i + 2], log[i + 3]);
    }
    if (wasTraceIdShown(this)) noteTraceIdShown(span);
    span.end(endTime);
  }
}

function replay(span: Span, call: Call, a: unknown, b: unknown, c: unknown): void {
  switch (call) {
    case Call.SetAttribute:
      span.setAttribute(a as string, b as AttributeValue);
      break;
    case Call.SetAttributes:
      span.setAttributes(a as Attributes);
      break;
    case Call.AddEvent:
      span.addEvent(a as string, b as Attributes | undefined, c as TimeInput);
      break;
    case Call.AddLink:
      span.addLink(a as Link);
      break;
    case Call.AddLinks:
      span.addLinks(a as Link[]);
      break;
    case Call.SetStatus:
      span.setStatus(a as SpanStatus);
      break;
    case Call.UpdateName:
      span.updateName(a as string);
      break;
    case Call.RecordException:
      span.recordException(a as Exception, b as TimeInput);
      break;
  }
}
