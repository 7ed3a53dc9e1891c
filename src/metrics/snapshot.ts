/**
 * Metrics as plain data: what the main thread posts to the export worker, and what the worker's
 * Prometheus and OTLP encoders read. Structured-clone friendly (no classes, no functions).
 */
export type MetricAttributes = Record<string, string | number | boolean>;

/** A recent measurement of one bucket, naming a trace that was exported. */
export interface ExemplarSnapshot {
  /** 32 and 16 lower-case hex digits. */
  traceId: string;
  spanId: string;
  value: number;
  /** Wall clock, milliseconds since the epoch. */
  timeMs: number;
}

export interface HistogramPoint {
  /** Identifies the series across snapshots (the worker caches its masked attributes under it). */
  key: string;
  attributes: MetricAttributes;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Per bucket, not cumulative: bucketCounts[i] counts values in (bounds[i-1], bounds[i]]; one more for +Inf. */
  bucketCounts: number[];
  /** Per bucket, like bucketCounts; null where no exported trace fell into the bucket. */
  exemplars: (ExemplarSnapshot | null)[];
}

export interface NumberPoint {
  key: string;
  attributes: MetricAttributes;
  value: number;
}

interface MetricBase {
  name: string;
  description: string;
  /** UCUM, as the semantic conventions write it: 's', 'By', '{request}'. */
  unit: string;
  /** The instrumentation scope that produced it. */
  scope: string;
}

export interface HistogramMetric extends MetricBase {
  kind: 'histogram';
  bounds: number[];
  points: HistogramPoint[];
}

export interface NumberMetric extends MetricBase {
  /** gauge: a current value; sum: cumulative since startTimeMs (monotonic: a counter, else an up-down counter). */
  kind: 'gauge' | 'sum';
  monotonic: boolean;
  points: NumberPoint[];
}

export type MetricSnapshot = HistogramMetric | NumberMetric;

export interface MetricsSnapshot {
  /** When the cumulative series started (the agent's start), ms since the epoch. */
  startTimeMs: number;
  timeMs: number;
  metrics: MetricSnapshot[];
}
