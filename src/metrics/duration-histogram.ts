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
import type { ExemplarSnapshot, HistogramMetric, HistogramPoint, MetricAttributes, NumberMetric } from './snapshot';

/** The semantic conventions' advice for http.*.request.duration, in seconds. */
export const HTTP_DURATION_BOUNDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

export const MAX_SERIES = 2000;
const OVERFLOW_KEY = '{"otel.metric.overflow":true}';

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

/** A series as kept on the main thread: a snapshot's point (snapshot.ts) whose exemplars carry their priority. */
export interface Series extends Omit<HistogramPoint, 'exemplars'> {
  exemplars: (Slot | null)[];
}

/** Where a measurement was counted: its series and bucket. */
export interface BucketRef {
  series: Series;
  bucket: number;
}

type KeyPart = string | number | undefined;

/**
 * A node of the series index: one level per attribute, so the hot path looks up each attribute value
 * (interned route strings, small numbers) instead of hashing a concatenated key string per request.
 * Once the histogram is full, unknown values lead to the overflow node, which is its own child.
 */
export class SeriesKey {
  private readonly _children = new Map<KeyPart, SeriesKey>();
  series: Series | undefined;

  constructor(private readonly _owner: { readonly isFull: boolean; readonly overflow: SeriesKey }) {}

  at(part: KeyPart): SeriesKey {
    let child = this._children.get(part);
    if (child === undefined) {
      if (this._owner.isFull) return this._owner.overflow;
      child = new SeriesKey(this._owner);
      this._children.set(part, child);
    }
    return child;
  }
}

class OverflowKey extends SeriesKey {
  override at(): SeriesKey {
    return this;
  }
}

export class DurationHistogram {
  private readonly _series: Series[] = [];
  /** The index's root: `root.at(method).at(route)...` leads to a series' node. */
  readonly root: SeriesKey = new SeriesKey(this);
  readonly overflow: SeriesKey = new OverflowKey(this);

  constructor(
    readonly name: string,
    readonly description: string,
    readonly scope: string,
    private readonly _bounds: readonly number[] = HTTP_DURATION_BOUNDS,
  ) {
    this.overflow.series = this._newSeries(OVERFLOW_KEY, { 'otel.metric.overflow': true });
  }

  get isFull(): boolean {
    return this._series.length > MAX_SERIES; // the overflow series is one of them
  }

  /** The bucket index of `seconds`: buckets are upper-inclusive, the last one is +Inf. */
  bucketOf(seconds: number): number {
    const bounds = this._bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    return i;
  }

  /** The series of an index node reached for the first time; `attributes` are built only then. */
  createSeries(node: SeriesKey, attributes: MetricAttributes): Series {
    node.series = this._newSeries(JSON.stringify(attributes), attributes);
    return node.series;
  }

  /** Counts one measurement; returns its bucket, for an exemplar. */
  add(series: Series, seconds: number): number {
    series.count++;
    series.sum += seconds;
    if (seconds < series.min) series.min = seconds;
    if (seconds > series.max) series.max = seconds;
    const bucket = this.bucketOf(seconds);
    series.bucketCounts[bucket]++;
    return bucket;
  }

  /** Counts one measurement under `attributes` (convenience for cold paths and tests). */
  record(key: string, attributes: MetricAttributes, seconds: number): BucketRef {
    const node = this.root.at(key);
    const series = node.series ?? this.createSeries(node, attributes);
    return { series, bucket: this.add(series, seconds) };
  }

  /**
   * Offers a measurement of an exported trace as the exemplar of its bucket. The slot object is reused:
   * at 100% sampling every request replaces it, and that must not allocate.
   */
  static offerExemplar(series: Series, bucket: number, traceId: string, spanId: string, value: number, timeMs: number, priority: ExemplarPriority): void {
    const current = series.exemplars[bucket];
    if (current === null) {
      series.exemplars[bucket] = { traceId, spanId, value, timeMs, priority };
      return;
    }
    if (priority < current.priority && timeMs - current.timeMs < EXEMPLAR_PREFERENCE_MS) return;
    current.traceId = traceId;
    current.spanId = spanId;
    current.value = value;
    current.timeMs = timeMs;
    current.priority = priority;
  }

  private _newSeries(key: string, attributes: MetricAttributes): Series {
    const buckets = this._bounds.length + 1;
    const series: Series = {
      key,
      attributes,
      count: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
      bucketCounts: new Array<number>(buckets).fill(0),
      exemplars: new Array<Slot | null>(buckets).fill(null),
    };
    this._series.push(series);
    return series;
  }

  snapshot(): HistogramMetric {
    const points: HistogramPoint[] = [];
    for (const series of this._series) {
      if (series.count === 0) continue;
      points.push({
        key: series.key,
        attributes: series.attributes,
        count: series.count,
        sum: series.sum,
        min: series.min,
        max: series.max,
        bucketCounts: series.bucketCounts.slice(),
        exemplars: series.exemplars.map((slot) =>
          slot === null ? null : { traceId: slot.traceId, spanId: slot.spanId, value: slot.value, timeMs: slot.timeMs },
        ),
      });
    }
    return { kind: 'histogram', name: this.name, description: this.description, unit: 's', scope: this.scope, bounds: [...this._bounds], points };
  }
}

/** An up-down counter (http.server.active_requests) by two attributes, looked up level by level. */
export class UpDownCounter {
  private readonly _values = new Map<string, Map<string, { key: string; attributes: MetricAttributes; value: number }>>();
  private _size = 0;

  constructor(
    readonly name: string,
    readonly description: string,
    readonly unit: string,
    readonly scope: string,
    private readonly _attributeNames: readonly [string, string],
  ) {}

  /** The entry for (first, second), created on first use; undefined once MAX_SERIES are taken. */
  entry(first: string, second: string): { value: number } | undefined {
    let level = this._values.get(first);
    if (level === undefined) {
      level = new Map();
      this._values.set(first, level);
    }
    let entry = level.get(second);
    if (entry === undefined) {
      if (this._size >= MAX_SERIES) return undefined;
      const attributes = { [this._attributeNames[0]]: first, [this._attributeNames[1]]: second };
      entry = { key: JSON.stringify(attributes), attributes, value: 0 };
      level.set(second, entry);
      this._size++;
    }
    return entry;
  }

  snapshot(): NumberMetric {
    const points = [...this._values.values()].flatMap((level) => [...level.values()].map(({ key, attributes, value }) => ({ key, attributes, value })));
    return { kind: 'sum', monotonic: false, name: this.name, description: this.description, unit: this.unit, scope: this.scope, points };
  }
}
