import { expect } from 'chai';
import { DurationSeries, nearestRank, summarizeLatency } from '../../../src/report/percentiles';

const sortedOf = (values: number[]) => Float64Array.from(values).sort();

describe('report percentiles (nearest rank)', () => {
  it('1..100: p50 is 50, p95 is 95, p99 is 99, max is 100', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect(summarizeLatency(sortedOf(values))).to.deep.equal({ p50Ms: 50, p95Ms: 95, p99Ms: 99, maxMs: 100 });
  });

  it('1..20 has p95 at the 19th value, not the 20th (0.95 * 20 is not exactly 19 in floating point)', () => {
    const values = Array.from({ length: 20 }, (_, index) => index + 1);
    expect(nearestRank(sortedOf(values), 95)).to.equal(19);
  });

  it('rounds the rank up, never to nearest: 1..32 has p95 at index ceil(30.4) - 1 = 30', () => {
    const values = Array.from({ length: 32 }, (_, index) => index + 1);
    expect(nearestRank(sortedOf(values), 95)).to.equal(31);
    expect(nearestRank(sortedOf(values), 99)).to.equal(32);
  });

  it('one value is every percentile', () => {
    expect(summarizeLatency(sortedOf([7]))).to.deep.equal({ p50Ms: 7, p95Ms: 7, p99Ms: 7, maxMs: 7 });
  });

  it('two values: p50 is the lower, p95 and p99 the upper', () => {
    expect(summarizeLatency(sortedOf([30, 10]))).to.deep.equal({ p50Ms: 10, p95Ms: 30, p99Ms: 30, maxMs: 30 });
  });

  it('three values: p50 is the middle (index ceil(1.5) - 1 = 1)', () => {
    expect(summarizeLatency(sortedOf([3, 1, 2]))).to.deep.equal({ p50Ms: 2, p95Ms: 3, p99Ms: 3, maxMs: 3 });
  });

  it('duplicates are ranked, not collapsed', () => {
    // [1, 5, 5, 5, 9]: p50 = index ceil(2.5) - 1 = 2 -> 5; p95 = index 4 -> 9
    expect(summarizeLatency(sortedOf([5, 9, 5, 1, 5]))).to.deep.equal({ p50Ms: 5, p95Ms: 9, p99Ms: 9, maxMs: 9 });
  });

  it('an empty list has no percentiles', () => {
    expect(nearestRank(new Float64Array(0), 50)).to.be.NaN;
  });

  it('DurationSeries grows past its initial capacity and sorts numerically (10 after 9)', () => {
    const series = new DurationSeries();
    for (let value = 1000; value >= 1; value--) series.push(value);
    expect(series.length).to.equal(1000);
    const sorted = series.sorted();
    expect(Array.from(sorted.slice(0, 11))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(summarizeLatency(sorted)).to.deep.equal({ p50Ms: 500, p95Ms: 950, p99Ms: 990, maxMs: 1000 });
  });
});
