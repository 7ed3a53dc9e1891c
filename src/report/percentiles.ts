/**
 * Exact latency percentiles without keeping spans: each operation keeps its durations in one
 * growable Float64Array (8 bytes a span), sorted once at the end.
 */

const INITIAL_CAPACITY = 64;

export class DurationSeries {
  private _values = new Float64Array(INITIAL_CAPACITY);
  private _length = 0;

  get length(): number {
    return this._length;
  }

  push(durationMs: number): void {
    if (this._length === this._values.length) {
      const grown = new Float64Array(this._values.length * 2);
      grown.set(this._values);
      this._values = grown;
    }
    this._values[this._length++] = durationMs;
  }

  /** A sorted copy of the values (the series itself keeps growing if pushed to later). */
  sorted(): Float64Array {
    return this._values.slice(0, this._length).sort();
  }
}

/**
 * Nearest-rank percentile: the value at index ceil(p/100 * n) - 1 of the sorted list.
 * Computed as ceil(p*n/100) so an integer p never meets a float like 0.95*20 = 19.000000000000004.
 * NaN for an empty list.
 */
export function nearestRank(sorted: ArrayLike<number>, percentile: number): number {
  const count = sorted.length;
  if (count === 0) return NaN;
  const index = Math.min(count - 1, Math.max(0, Math.ceil((percentile * count) / 100) - 1));
  return sorted[index];
}

export interface LatencySummary {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarizeLatency(sorted: ArrayLike<number>): LatencySummary {
  return {
    p50Ms: nearestRank(sorted, 50),
    p95Ms: nearestRank(sorted, 95),
    p99Ms: nearestRank(sorted, 99),
    maxMs: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
  };
}
