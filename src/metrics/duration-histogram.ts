/**
 * A cumulative histogram of request durations with one exemplar slot per bucket.
 *
 * Owned rather than taken from @opentelemetry/sdk-metrics: upstream's aggregation keeps no exemplars
 * (https://github.com/open-telemetry/opentelemetry-js/issues/2594), and record() is on every request's
 * path, where a Map lookup by a precomputed key and a short bucket scan is all we pay.
 *
 * Bounded: at most MAX_SERIES attribute sets; beyond that, measurements go to one series marked
 * `otel.metric.overflow=true`, as the OpenTelemetry specification's cardinality limit prescribes.
 */
import type { ExemplarSnapshot, HistogramMetric, HistogramPoint, MetricAttributes } from './snapshot';

/** The semantic conventions' advice for http.*.request.duration, in seconds. */
export const HTTP_DURATION_BOUNDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export const MAX_SERIES = 2000;
const OVERFLOW_KEY = '\u0000overflow';

/**
 * Which sample a bucket's exemplar slot keeps: a higher priority replaces a lower one; an equal one
 * replaces it (the newer sample); a lower one replaces it only once the slot's sample is older than
 * EXEMPLAR_PREFERENCE_MS, so an error seen an hour ago does not hide every trace since.
 */
export const enum ExemplarPriority {
  Normal = 0,
  Slow = 1,
  Error = 2,
}
const EXEMPLAR_PREFERENCE_MS = 60_000;

export interface Slot extends ExemplarSnapshot {
  priority: ExemplarPriority;
}

export interface Series {
  attributes: MetricAttributes;
  count: number;
  sum: number;
  min: number;
  max: number;
  bucketCounts: number[];
  exemplars: (Slot | null)[];
}

/** Where a measurement was counted: its series and bucket, so its exemplar can be offered later. */
export interface BucketRef {
  series: Series;
  bucket: number;
}

export class DurationHistogram {
  private readonly _series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly description: string,
    readonly scope: string,
    private readonly _bounds: readonly number[] = HTTP_DURATION_BOUNDS,
  ) {}

  /** The bucket index of `seconds`: buckets are upper-inclusive, the last one is +Inf. */
  bucketOf(seconds: number): number {
    const bounds = this._bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    return i;
  }

  /**
   * Counts one measurement under `key` (a string that identifies `attributes`, built by the caller
   * without allocating per call where it can). Returns the bucket, for a later offerExemplar().
   */
  record(key: string, attributes: MetricAttributes, seconds: number): BucketRef {
    let series = this._series.get(key);
    if (series === undefined) series = this._newSeries(key, attributes);
    series.count++;
    series.sum += seconds;
    if (seconds < series.min) series.min = seconds;
    if (seconds > series.max) series.max = seconds;
    const bucket = this.bucketOf(seconds);
    series.bucketCounts[bucket]++;
    return { series, bucket };
  }

  /** Offers a measurement of an exported trace as the exemplar of its bucket. */
  static offerExemplar(target: BucketRef, exemplar: ExemplarSnapshot, priority: ExemplarPriority): void {
    const slots = target.series.exemplars;
    const current = slots[target.bucket];
    if (current !== null && priority < current.priority && exemplar.timeMs - current.timeMs < EXEMPLAR_PREFERENCE_MS) return;
    slots[target.bucket] = { ...exemplar, priority };
  }

  private _newSeries(key: string, attributes: MetricAttributes): Series {
    if (this._series.size >= MAX_SERIES) {
      const overflow = this._series.get(OVERFLOW_KEY);
      if (overflow !== undefined) return overflow;
      key = OVERFLOW_KEY;
      attributes = { 'otel.metric.overflow': true };
    }
    const buckets = this._bounds.length + 1;
    const series: Series = {
      attributes,
      count: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
      bucketCounts: new Array<number>(buckets).fill(0),
      exemplars: new Array<Slot | null>(buckets).fill(null),
    };
    this._series.set(key, series);
    return series;
  }

  snapshot(): HistogramMetric {
    const points: HistogramPoint[] = [];
    for (const [key, series] of this._series) {
      points.push({
        key,
        attributes: series.attributes,
        count: series.count,
        sum: series.sum,
        min: series.min,
        max: series.max,
        bucketCounts: series.bucketCounts.slice(),
        exemplars: series.exemplars.map((slot) => (slot === null ? null : { traceId: slot.traceId, spanId: slot.spanId, value: slot.value, timeMs: slot.timeMs })),
      });
    }
    return { kind: 'histogram', name: this.name, description: this.description, unit: 's', scope: this.scope, bounds: [...this._bounds], points };
  }
}

/** An up-down counter (http.server.active_requests), by attribute set. */
export class UpDownCounter {
  private readonly _values = new Map<string, { attributes: MetricAttributes; value: number }>();

  constructor(
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    readonly scope: string,
  ) {}

  add(key: string, attributes: MetricAttributes, delta: number): void {
    const entry = this._values.get(key);
    if (entry !== undefined) entry.value += delta;
    else if (this._values.size < MAX_SERIES) this._values.set(key, { attributes, value: delta });
  }

  snapshot(): import('./snapshot').NumberMetric {
    const points = [...this._values].map(([key, { attributes, value }]) => ({ key, attributes, value }));
    return { kind: 'sum', monotonic: false, name: this.name, description: this.description, unit: this.unit, scope: this.scope, points };
  }
}
