/**
 * The agent's head sampler: the OpenTelemetry specification's samplers (parent-based or not, ratio by
 * trace id), plus per-route rules, a rate limit on new traces, and "record, don't sample" for what
 * keep-by-outcome.ts may still keep.
 *
 * Decision for a span:
 * 1. Parent-based (TRACING_SAMPLE_RATE, the parentbased_* OTEL samplers) with a valid parent: the
 *    parent's sampled flag, as upstream's ParentBasedSampler with its default delegates.
 * 2. Otherwise (a root, or always_on / always_off / traceidratio, which ignore the parent): the ratio of
 *    the first TRACING_SAMPLING_RULES rule that matches a root span, else TRACING_SAMPLE_RATE, decided by
 *    upstream's TraceIdRatioBasedSampler (deterministic by trace id, so every service agrees).
 * 3. A new root trace that step 2 sampled takes a token from the TRACING_MAX_TRACES_PER_SECOND bucket;
 *    without one it is not sampled.
 * 4. Not sampled, with TRACING_KEEP_ERRORS or TRACING_KEEP_SLOWER_THAN_MS on: RECORD instead of
 *    NOT_RECORD. The span is recorded but its `sampled` flag stays off, so the traceparent sent
 *    downstream carries the head decision; keep-by-outcome.ts exports it only if its request fails or is slow.
 *    An unsampled request root the http server instrumentation asked about (`rootDeferral.armed`) gets
 *    NOT_RECORD and becomes a pending span instead, recorded only if its outcome may keep it (deferred-roots.ts).
 */
import { isSpanContextValid, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Context, Link } from '@opentelemetry/api';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../config/types';
import type { SamplingRule } from '../config/sampling-options';
import { rootDeferral } from './deferred-roots';

// SamplingDecision values (@opentelemetry/sdk-trace Sampler.ts), inlined so this module loads nothing.
const NOT_RECORD = 0;
const RECORD = 1;
const RECORD_AND_SAMPLED = 2;

// The results, shared (the Tracer only reads them).
const SAMPLED: SamplingResult = Object.freeze({ decision: RECORD_AND_SAMPLED });
const RECORDED_UNSAMPLED: SamplingResult = Object.freeze({ decision: RECORD });
const DROPPED: SamplingResult = Object.freeze({ decision: NOT_RECORD });

const escapeForRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `*` matches within one path segment, `**` across segments; anchored. */
export function pathGlobToRegExp(glob: string): RegExp {
  const source = glob
    .split('**')
    .map((part) => part.split('*').map(escapeForRegExp).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

/** An express-style route (`/users/:id`, `/files/*`) as a matcher of request paths; a trailing slash is optional. */
export function routeToRegExp(route: string): RegExp {
  const source = route
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.split('*').map(escapeForRegExp).join('.*')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/** One matcher for a list of globs, compiled once (TRACING_IGNORE_PATHS). */
export function compilePathGlobs(globs: readonly string[]): ((path: string) => boolean) | undefined {
  if (globs.length === 0) return undefined;
  const combined = new RegExp(globs.map((glob) => pathGlobToRegExp(glob).source).join('|'));
  return (path) => combined.test(path);
}

interface CompiledRule {
  method: string | undefined;
  path: RegExp | undefined;
  sampler: Sampler;
}

/** A token bucket: `rate` tokens a second, holding at most max(rate, 1). */
export class TokenBucket {
  private _tokens: number;
  private _last: number;
  private readonly _capacity: number;

  constructor(
    private readonly _rate: number,
    private readonly _now: () => number = () => performance.now(),
  ) {
    this._capacity = Math.max(_rate, 1);
    this._tokens = this._capacity;
    this._last = _now();
  }

  take(): boolean {
    const now = this._now();
    this._tokens = Math.min(this._capacity, this._tokens + ((now - this._last) / 1000) * this._rate);
    this._last = now;
    if (this._tokens < 1) return false;
    this._tokens -= 1;
    return true;
  }
}

export class AgentSampler implements Sampler {
  private readonly _root: Sampler;
  private readonly _rules: CompiledRule[];
  private readonly _bucket: TokenBucket | undefined;
  private readonly _recordUnsampled: boolean;
  private readonly _parentBased: boolean;

  /** `recordUnsampled`: whether spans head sampling drops are still recorded, for keep-by-outcome.ts. */
  constructor(config: AgentConfig, recordUnsampled: boolean) {
    this._root = ratioSampler(config.sampleRate);
    this._rules = config.samplingRules.filter((rule) => rule.service === undefined || rule.service === config.serviceName).map(compileRule);
    this._bucket = config.maxTracesPerSecond !== undefined ? new TokenBucket(config.maxTracesPerSecond) : undefined;
    this._recordUnsampled = recordUnsampled;
    this._parentBased = config.samplerParentBased;
  }

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    // A pending root becoming its SDK span: decided when it started (a second decision could differ: the rate limit).
    if (rootDeferral.materializing) return RECORDED_UNSAMPLED;
    const parent = trace.getSpanContext(context);
    const hasParent = parent !== undefined && isSpanContextValid(parent);
    let sampled: boolean;
    if (this._parentBased && hasParent) {
      sampled = (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
    } else {
      const sampler = (!hasParent && this._ruleFor(attributes)) || this._root;
      sampled = sampler.shouldSample(context, traceId, spanName, spanKind, attributes, links).decision === RECORD_AND_SAMPLED;
      if (sampled && !hasParent && this._bucket !== undefined) sampled = this._bucket.take();
    }
    if (sampled) return SAMPLED;
    if (!this._recordUnsampled) return DROPPED;
    if (rootDeferral.armed) {
      // The http server instrumentation makes a pending span of it (deferred-roots.ts).
      rootDeferral.deferred = true;
      return DROPPED;
    }
    return RECORDED_UNSAMPLED;
  }

  private _ruleFor(attributes: Attributes): Sampler | undefined {
    if (this._rules.length === 0) return undefined;
    const method = attributes['http.request.method'];
    const path = attributes['url.path'];
    for (const rule of this._rules) {
      if (rule.method !== undefined && rule.method !== method) continue;
      if (rule.path !== undefined && (typeof path !== 'string' || !rule.path.test(path))) continue;
      return rule.sampler;
    }
    return undefined;
  }

  toString(): string {
    return `AgentSampler{parentBased=${this._parentBased}, rules=${this._rules.length}, recordUnsampled=${this._recordUnsampled}}`;
  }
}

function compileRule(rule: SamplingRule): CompiledRule {
  return {
    method: rule.method,
    path: rule.path !== undefined ? pathGlobToRegExp(rule.path) : rule.route !== undefined ? routeToRegExp(rule.route) : undefined,
    sampler: ratioSampler(rule.sampleRate),
  };
}

function ratioSampler(rate: number): Sampler {
  const { AlwaysOffSampler, AlwaysOnSampler, TraceIdRatioBasedSampler } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  return rate >= 1 ? new AlwaysOnSampler() : rate <= 0 ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(rate);
}
