import { expect } from 'chai';
import { buildTraceTree, orderTree } from '../../../src/report/trace-tree';
import { toReportSpan } from '../../../src/report/span-facts';
import { makeSpan, type SpanSpec } from './spans';

const span = (spec: Omit<SpanSpec, 'traceId' | 'service'> & { service?: string }) => toReportSpan(makeSpan({ traceId: 't', service: 'svc', ...spec }));

describe('report trace trees', () => {
  it('orders depth first with children by start time, whatever the input order', () => {
    const spans = [
      span({ spanId: 'c2', parentSpanId: 'root', startMs: 5 }),
      span({ spanId: 'g1', parentSpanId: 'c1', startMs: 2 }),
      span({ spanId: 'root', startMs: 0, durationMs: 10, kind: 'SERVER', route: '/a' }),
      span({ spanId: 'c1', parentSpanId: 'root', startMs: 1 }),
    ];
    expect(orderTree(spans).map((line) => `${line.depth}:${line.span.spanId}`)).to.deep.equal(['0:root', '1:c1', '2:g1', '1:c2']);
  });

  it('siblings that start in the same millisecond: the one that ended first comes first', () => {
    const spans = [
      span({ spanId: 'root', startMs: 0, durationMs: 10, kind: 'SERVER', route: '/a' }),
      span({ spanId: 'handler', parentSpanId: 'root', startMs: 1, durationMs: 8 }),
      span({ spanId: 'middleware', parentSpanId: 'root', startMs: 1, durationMs: 0.1 }),
    ];
    expect(orderTree(spans).map((line) => line.span.spanId)).to.deep.equal(['root', 'middleware', 'handler']);
  });

  it('a span whose parent is missing becomes a root instead of disappearing', () => {
    const spans = [
      span({ spanId: 'root', startMs: 0 }),
      span({ spanId: 'orphan', parentSpanId: 'lost', startMs: 3 }),
      span({ spanId: 'orphan-child', parentSpanId: 'orphan', startMs: 4 }),
    ];
    expect(orderTree(spans).map((line) => `${line.depth}:${line.span.spanId}`)).to.deep.equal(['0:root', '0:orphan', '1:orphan-child']);
  });

  it('a parent cycle (corrupt input) still shows every span once', () => {
    const spans = [span({ spanId: 'a', parentSpanId: 'b' }), span({ spanId: 'b', parentSpanId: 'a' })];
    expect(
      orderTree(spans)
        .map((line) => line.span.spanId)
        .sort(),
    ).to.deep.equal(['a', 'b']);
  });

  it('names the tree after its root span and takes the root duration', () => {
    const tree = buildTraceTree('t', [
      span({ spanId: 'child', parentSpanId: 'root', startMs: 1, error: true }),
      span({ spanId: 'root', service: 'web', kind: 'SERVER', route: '/orders/:id', startMs: 0, durationMs: 42 }),
    ]);
    expect(tree).to.include({ traceId: 't', service: 'web', operation: '/orders/:id', durationMs: 42, hasError: true });
    expect(tree.spans.map((s) => s.spanId)).to.deep.equal(['root', 'child']);
  });

  it('without a root, the trace lasts from its earliest start to its latest end', () => {
    const tree = buildTraceTree('t', [
      span({ spanId: 'x', parentSpanId: 'lost', startMs: 10, durationMs: 5 }),
      span({ spanId: 'y', parentSpanId: 'lost', startMs: 12, durationMs: 20 }),
    ]);
    expect(tree.durationMs).to.be.closeTo(22, 0.001);
    expect(tree.hasError).to.equal(false);
  });
});
