/** The request-duration histogram: semconv buckets, cumulative counts, exemplar slots, the series bound. */
import { expect } from 'chai';
import { DurationHistogram, ExemplarPriority, HTTP_DURATION_BOUNDS, MAX_SERIES } from '../../../src/metrics/duration-histogram';
import type { BucketRef } from '../../../src/metrics/duration-histogram';

const offer = (target: BucketRef, e: { traceId: string; spanId: string; value: number; timeMs: number }, priority: ExemplarPriority) =>
  DurationHistogram.offerExemplar(target.series, target.bucket, e.traceId, e.spanId, e.value, e.timeMs, priority);
const exemplar = (id: string, value: number, timeMs: number) => ({ traceId: id.repeat(32).slice(0, 32), spanId: id.repeat(16).slice(0, 16), value, timeMs });

describe('metrics: DurationHistogram', () => {
  it('buckets are upper-inclusive, with the semantic conventions boundaries and +Inf last', () => {
    const histogram = new DurationHistogram('d', '', 'scope');
    expect(HTTP_DURATION_BOUNDS).to.deep.equal([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
    expect(histogram.bucketOf(0)).to.equal(0);
    expect(histogram.bucketOf(0.005)).to.equal(0);
    expect(histogram.bucketOf(0.0051)).to.equal(1);
    expect(histogram.bucketOf(10)).to.equal(13);
    expect(histogram.bucketOf(10.5)).to.equal(14);
  });

  it('counts, sums, min and max per attribute set', () => {
    const histogram = new DurationHistogram('d', '', 'scope');
    histogram.record('a', { route: 'a' }, 0.002);
    histogram.record('a', { route: 'a' }, 0.3);
    histogram.record('b', { route: 'b' }, 20);
    const [a, b] = histogram.snapshot().points;
    expect(a).to.deep.include({ key: '{"route":"a"}', attributes: { route: 'a' }, count: 2, min: 0.002, max: 0.3 });
    expect(a.sum).to.be.closeTo(0.302, 1e-12);
    expect(a.bucketCounts[0]).to.equal(1);
    expect(a.bucketCounts[7]).to.equal(1);
    expect(a.bucketCounts.reduce((x, y) => x + y, 0)).to.equal(2);
    expect(b.bucketCounts[14]).to.equal(1);
    expect(a.exemplars).to.have.length(15);
  });

  it('an exemplar slot prefers errors, takes newer samples of equal priority, and a lower one only after a minute', () => {
    const histogram = new DurationHistogram('d', '', 'scope');
    const target = histogram.record('a', {}, 0.003);
    offer(target, exemplar('1', 0.003, 1000), ExemplarPriority.Error);
    offer(target, exemplar('2', 0.004, 2000), ExemplarPriority.Normal);
    expect(histogram.snapshot().points[0].exemplars[0]!.traceId).to.equal('1'.repeat(32));
    offer(target, exemplar('3', 0.001, 3000), ExemplarPriority.Error);
    expect(histogram.snapshot().points[0].exemplars[0]).to.deep.equal(exemplar('3', 0.001, 3000));
    offer(target, exemplar('4', 0.002, 3000 + 60_000), ExemplarPriority.Normal);
    expect(histogram.snapshot().points[0].exemplars[0]!.traceId).to.equal('4'.repeat(32));
    // Other buckets keep none.
    expect(
      histogram
        .snapshot()
        .points[0].exemplars.slice(1)
        .every((slot) => slot === null),
    ).to.equal(true);
  });

  it('a snapshot is a copy: later records do not change it', () => {
    const histogram = new DurationHistogram('d', '', 'scope');
    histogram.record('a', {}, 0.1);
    const before = histogram.snapshot();
    histogram.record('a', {}, 0.1);
    expect(before.points[0].count).to.equal(1);
    expect(before.points[0].bucketCounts[5]).to.equal(1);
  });

  it(`beyond ${MAX_SERIES} attribute sets, measurements go to one otel.metric.overflow series`, () => {
    const histogram = new DurationHistogram('d', '', 'scope');
    for (let i = 0; i < MAX_SERIES + 50; i++) histogram.record(`k${i}`, { i }, 0.01);
    const points = histogram.snapshot().points;
    expect(points).to.have.length(MAX_SERIES + 1);
    const overflow = points.find((point) => point.attributes['otel.metric.overflow'] === true);
    expect(overflow?.count).to.equal(50);
    expect(points.reduce((total, point) => total + point.count, 0)).to.equal(MAX_SERIES + 50);
  });
});
