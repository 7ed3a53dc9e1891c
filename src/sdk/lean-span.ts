/**
 * The main thread's spans: sdk-trace 2.11.0's `Tracer.startSpan` and `SpanImpl`, ported so that every
 * span the agent's tracers start (ours and upstream's instrumentations') costs less to build.
 *
 * Why: in sdk-trace 2.11.0 a span's start attributes are validated three times: `sanitizeAttributes`
 * copies them for the sampler, again after the sampler's merge, and the span's constructor sets them
 * one by one through `setAttribute` (a key check, a value check, a count check and a truncation each).
 * Measured on an http SERVER span of 12 attributes on Node 24: 6.8 µs from `startSpan` to `end`, 40%
 * of it in those passes (bench/span-lifecycle-micro.js compares the two).
 *
 * What a user or a processor sees is sdk-trace's, field for field: the ReadableSpan (name, kind, ids,
 * parent, times, attributes in the same order, events, links, status, dropped counts), the diag
 * messages, the span processors' onStart/onEnding/onEnd order, non-recording spans for suppressed or
 * unsampled starts (test/unit/sdk/lean-span.test.ts runs the same calls through both and compares).
 * The differences are in the work only: the start attributes are validated once (the agent's sampler
 * never adds or writes attributes: sampling.ts; a sampler result with attributes takes sdk-trace's
 * second pass), and the span adopts that validated copy when no value needs truncating or dropping.
 *
 * Installed on each tracer the agent's provider hands out (tracing.ts), only when the tracer has the
 * 2.x fields it reads; a later sdk-trace with another shape keeps its own startSpan.
 */
import { context as contextApi, diag, SamplingDecision, SpanKind, SpanStatusCode, trace, TraceFlags, INVALID_SPAN_CONTEXT } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Exception, HrTime, Link, Span, SpanContext, SpanOptions, SpanStatus, TimeInput } from '@opentelemetry/api';
import {
  addHrTimes,
  hrTime,
  hrTimeDuration,
  isAttributeValue,
  isTimeInput,
  isTimeInputHrTime,
  isTracingSuppressed,
  millisToHrTime,
  otperformance,
  sanitizeAttributes,
} from '@opentelemetry/core';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { IdGenerator, Sampler, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';

/** The fields of sdk-trace 2.x's Tracer that its startSpan reads (and ours). */
interface TracerFields {
  instrumentationScope: InstrumentationScope;
  _sampler: Sampler;
  _spanLimits: SpanLimits;
  _idGenerator: IdGenerator;
  _resource: Resource;
  _spanProcessor: SpanProcessor;
}

type StartSpan = (name: string, options?: SpanOptions, context?: Context) => Span;

/**
 * Makes `tracer.startSpan` ours (startActiveSpan calls it too); false, and the tracer untouched, when
 * it lacks a field sdk-trace 2.11.0's has.
 */
export function installLeanSpans(tracer: object): boolean {
  const t = tracer as Partial<TracerFields> & { startSpan?: StartSpan };
  if (
    typeof t.startSpan !== 'function' ||
    t.instrumentationScope === undefined ||
    t._sampler === undefined ||
    t._spanLimits === undefined ||
    t._idGenerator === undefined ||
    t._resource === undefined ||
    t._spanProcessor === undefined
  )
    return false;
  t.startSpan = startLeanSpan;
  return true;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** sdk-trace 2.11.0's Tracer.startSpan, with the span's attributes validated once. */
function startLeanSpan(this: TracerFields, name: string, options: SpanOptions = {}, context: Context = contextApi.active()): Span {
  if (options.root) context = trace.deleteSpan(context);
  const parentSpan = trace.getSpan(context);
  if (isTracingSuppressed(context)) {
    diag.debug('Instrumentation suppressed, returning Noop Span');
    return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  }
  const parentSpanContext = parentSpan?.spanContext();
  const spanId = this._idGenerator.generateSpanId();
  let validParentSpanContext: SpanContext | undefined;
  let traceId: string;
  let traceState;
  if (!parentSpanContext || !trace.isSpanContextValid(parentSpanContext)) {
    traceId = this._idGenerator.generateTraceId();
  } else {
    traceId = parentSpanContext.traceId;
    traceState = parentSpanContext.traceState;
    validParentSpanContext = parentSpanContext;
  }
  const spanKind = options.kind ?? SpanKind.INTERNAL;
  const links = (options.links ?? []).map((link) => ({ context: link.context, attributes: sanitizeAttributes(link.attributes) }));
  let attributes = sanitizeAttributes(options.attributes);
  const samplingResult = this._sampler.shouldSample(context, traceId, name, spanKind, attributes, links);
  traceState = samplingResult.traceState ?? traceState;
  const traceFlags = samplingResult.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE;
  const spanContext: SpanContext = { traceId, spanId, traceFlags, traceState };
  if (samplingResult.decision === SamplingDecision.NOT_RECORD) {
    diag.debug('Recording is off, propagating context in a non-recording span');
    return trace.wrapSpanContext(spanContext);
  }
  // sdk-trace sanitizes the merge again; without sampler attributes that pass would find nothing to drop.
  if (samplingResult.attributes !== undefined) attributes = sanitizeAttributes(Object.assign(attributes, samplingResult.attributes));
  return new LeanSpan(this, context, spanContext, name, spanKind, validParentSpanContext, links, attributes, options.startTime);
}

/** sdk-trace 2.11.0's SpanImpl: the same fields under the same names, the same behaviour. */
export class LeanSpan implements Span {
  readonly _spanContext: SpanContext;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  attributes: Attributes;
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  readonly startTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  _droppedAttributesCount = 0;
  _droppedEventsCount = 0;
  _droppedLinksCount = 0;
  _attributesCount = 0;
  name: string;
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endTime: HrTime = [0, 0];
  _ended = false;
  _duration: HrTime = [-1, -1];
  readonly _spanProcessor: SpanProcessor;
  readonly _spanLimits: SpanLimits;
  readonly _attributeValueLengthLimit: number;
  readonly _performanceStartTime: number;
  readonly _performanceOffset: number;
  readonly _startTimeProvided: boolean;

  constructor(
    tracer: TracerFields,
    context: Context,
    spanContext: SpanContext,
    name: string,
    kind: SpanKind,
    parentSpanContext: SpanContext | undefined,
    links: Link[],
    attributes: Attributes,
    startTime: TimeInput | undefined,
  ) {
    const now = Date.now();
    this._spanContext = spanContext;
    this._performanceStartTime = otperformance.now();
    this._performanceOffset = now - (this._performanceStartTime + otperformance.timeOrigin);
    this._startTimeProvided = startTime != null;
    this._spanLimits = tracer._spanLimits;
    this._attributeValueLengthLimit = this._spanLimits.attributeValueLengthLimit ?? 0;
    this._spanProcessor = tracer._spanProcessor;
    this.name = name;
    this.parentSpanContext = parentSpanContext;
    this.kind = kind;
    for (const link of links) this.addLink(link);
    // Date.now() is never a performance timestamp: sdk-trace's _getTime takes it as epoch milliseconds.
    this.startTime = startTime == null ? millisToHrTime(now) : this._getTime(startTime);
    this.resource = tracer._resource;
    this.instrumentationScope = tracer.instrumentationScope;
    this.attributes = this._adoptAttributes(attributes);
    this._spanProcessor.onStart(this, context);
  }

  /**
   * The start attributes, validated: kept as they are when sdk-trace's setAttribute loop would copy
   * each unchanged (no null value, within the count limit, no string to truncate), else that loop.
   */
  private _adoptAttributes(attributes: Attributes): Attributes {
    const { attributeCountLimit } = this._spanLimits;
    const limit = this._attributeValueLengthLimit;
    let count = 0;
    for (const key in attributes) {
      if (!hasOwn.call(attributes, key)) continue;
      const value = attributes[key];
      if (value == null || limit <= 0 || (attributeCountLimit !== undefined && count >= attributeCountLimit) || needsTruncation(value, limit)) {
        return this._setEach(attributes);
      }
      count++;
    }
    this._attributesCount = count;
    return attributes;
  }

  private _setEach(attributes: Attributes): Attributes {
    this.attributes = {};
    this.setAttributes(attributes);
    return this.attributes;
  }

  spanContext(): SpanContext {
    return this._spanContext;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (value == null || this._isSpanEnded()) return this;
    if (key.length === 0) {
      diag.warn(`Invalid attribute key: ${key}`);
      return this;
    }
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    const { attributeCountLimit } = this._spanLimits;
    const isNewKey = !hasOwn.call(this.attributes, key);
    if (attributeCountLimit !== undefined && this._attributesCount >= attributeCountLimit && isNewKey) {
      this._droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = this._truncateToSize(value);
    if (isNewKey) this._attributesCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) {
      if (hasOwn.call(attributes, key)) this.setAttribute(key, attributes[key]);
    }
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, timeStamp?: TimeInput): this {
    if (this._isSpanEnded()) return this;
    const { eventCountLimit } = this._spanLimits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this._droppedEventsCount++;
      return this;
    }
    if (eventCountLimit !== undefined && this.events.length >= eventCountLimit) {
      if (this._droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this._droppedEventsCount++;
    }
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime;
      attributesOrStartTime = undefined;
    }
    const { attributes, droppedAttributesCount } = this._limitedAttributes(attributesOrStartTime, this._spanLimits.attributePerEventCountLimit);
    this.events.push({ name, attributes, time: this._getTime(timeStamp), droppedAttributesCount });
    return this;
  }

  addLink(link: Link): this {
    if (this._isSpanEnded()) return this;
    const { linkCountLimit } = this._spanLimits;
    if (linkCountLimit === 0) {
      this._droppedLinksCount++;
      return this;
    }
    if (linkCountLimit !== undefined && this.links.length >= linkCountLimit) {
      if (this._droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this._droppedLinksCount++;
    }
    const { attributes, count, droppedAttributesCount } = this._limitedAttributes(link.attributes, this._spanLimits.attributePerLinkCountLimit);
    const processedLink: Link = { context: link.context };
    if (count > 0) processedLink.attributes = attributes;
    if (droppedAttributesCount > 0) processedLink.droppedAttributesCount = droppedAttributesCount;
    this.links.push(processedLink);
    return this;
  }

  /** An event's or a link's attributes: sanitized, the first `countLimit` kept (truncated), the rest counted. */
  private _limitedAttributes(
    input: Attributes | undefined,
    countLimit: number | undefined,
  ): { attributes: Attributes; count: number; droppedAttributesCount: number } {
    const sanitized = sanitizeAttributes(input);
    const attributes: Attributes = {};
    let droppedAttributesCount = 0;
    let count = 0;
    for (const key in sanitized) {
      if (!hasOwn.call(sanitized, key)) continue;
      if (countLimit !== undefined && count >= countLimit) {
        droppedAttributesCount++;
        continue;
      }
      attributes[key] = this._truncateToSize(sanitized[key]!);
      count++;
    }
    return { attributes, count, droppedAttributesCount };
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this._isSpanEnded()) return this;
    if (status.code === SpanStatusCode.UNSET) return this;
    if (this.status.code === SpanStatusCode.OK) return this;
    const newStatus: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') newStatus.message = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = newStatus;
    return this;
  }

  updateName(name: string): this {
    if (this._isSpanEnded()) return this;
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this._isSpanEnded()) {
      diag.error(`${this.name} ${this._spanContext.traceId}-${this._spanContext.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this._getTime(endTime);
    this._duration = hrTimeDuration(this.startTime, this.endTime);
    if (this._duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', this.startTime, this.endTime);
      this.endTime = this.startTime.slice() as HrTime;
      this._duration = [0, 0];
    }
    if (this._droppedEventsCount > 0) diag.warn(`Dropped ${this._droppedEventsCount} events because eventCountLimit reached`);
    if (this._droppedLinksCount > 0) diag.warn(`Dropped ${this._droppedLinksCount} links because linkCountLimit reached`);
    if (this._spanProcessor.onEnding) this._spanProcessor.onEnding(this);
    this._ended = true;
    this._spanProcessor.onEnd(this);
  }

  private _getTime(inp: TimeInput | undefined): HrTime {
    if (typeof inp === 'number' && inp <= otperformance.now()) return hrTime(inp + this._performanceOffset);
    if (typeof inp === 'number') return millisToHrTime(inp);
    if (inp instanceof Date) return millisToHrTime(inp.getTime());
    if (isTimeInputHrTime(inp)) return inp;
    if (this._startTimeProvided) return millisToHrTime(Date.now());
    const msDuration = otperformance.now() - this._performanceStartTime;
    return addHrTimes(this.startTime, millisToHrTime(msDuration));
  }

  isRecording(): boolean {
    return this._ended === false;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${exception as unknown as string}`);
  }

  get duration(): HrTime {
    return this._duration;
  }

  get ended(): boolean {
    return this._ended;
  }

  get droppedAttributesCount(): number {
    return this._droppedAttributesCount;
  }

  get droppedEventsCount(): number {
    return this._droppedEventsCount;
  }

  get droppedLinksCount(): number {
    return this._droppedLinksCount;
  }

  private _isSpanEnded(): boolean {
    if (this._ended) {
      const error = new Error(`Operation attempted on ended Span {traceId: ${this._spanContext.traceId}, spanId: ${this._spanContext.spanId}}`);
      diag.warn(`Cannot execute the operation on ended Span {traceId: ${this._spanContext.traceId}, spanId: ${this._spanContext.spanId}}`, error);
    }
    return this._ended;
  }

  private _truncateToSize(value: AttributeValue): AttributeValue {
    const limit = this._attributeValueLengthLimit;
    if (limit <= 0) {
      diag.warn(`Attribute value limit must be positive, got ${limit}`);
      return value;
    }
    if (typeof value === 'string') return truncate(value, limit);
    if (Array.isArray(value)) return (value as unknown[]).map((v) => (typeof v === 'string' ? truncate(v, limit) : v)) as AttributeValue;
    return value;
  }
}

function truncate(value: string, limit: number): string {
  return value.length <= limit ? value : value.substring(0, limit);
}

/**
 * Whether sdk-trace's _truncateToSize would change `value`. An array it would copy: equal to the
 * copy sanitizeAttributes already made, which no one else holds.
 */
function needsTruncation(value: AttributeValue, limit: number): boolean {
  if (typeof value === 'string') return value.length > limit;
  if (!Array.isArray(value)) return false;
  for (const element of value as unknown[]) if (typeof element === 'string' && element.length > limit) return true;
  return false;
}
