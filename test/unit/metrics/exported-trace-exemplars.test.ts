/**
 * Exemplars only of exported traces: head-sampled at once; not head-sampled only once keeping by
 * outcome decided to keep the trace, whichever comes first (the response's close or the root's end).
 */
import { expect } from 'chai';
import { context, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { loadConfig } from '../../../src/config/load-config';
import { createLogger } from '../../../src/logger';
import { DurationHistogram } from '../../../src/metrics/duration-histogram';
import type { BucketRef, Series } from '../../../src/metrics/duration-histogram';
import { ExportedTraceExemplars } from '../../../src/metrics/exported-trace-exemplars';
import { OutcomeKeepingProcessor } from '../../../src/sdk/keep-by-outcome';
import { AgentSampler } from '../../../src/sdk/sampling';
import type { WorkerSpanProcessor } from '../../../src/sdk/worker-span-processor';

const at = (ref: BucketRef): [Series, number] => [ref.series, ref.bucket];
const noExport = { onStart() {}, onEnd() {}, acceptKept() {}, forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };

function setup(env: Record<string, string> = {}) {
  const { config } = loadConfig({ env: { TRACING_SAMPLE_RATE: '0', ...env } });
  const keeping = new OutcomeKeepingProcessor(config, noExport as unknown as WorkerSpanProcessor, createLogger('none'));
  const provider = new TracerProvider({ sampler: new AgentSampler(config, true), spanProcessors: [keeping] });
  const tracer = provider.getTracer('test');
  const histogram = new DurationHistogram('d', '', 'scope');
  const exemplars = new ExportedTraceExemplars(true, keeping);
  const exemplarIds = () => histogram.snapshot().points.flatMap((point) => point.exemplars.filter((slot) => slot !== null).map((slot) => slot.traceId));
  return { tracer, histogram, exemplars, exemplarIds, keeping };
}

describe('metrics: ExportedTraceExemplars', () => {
  it('a head-sampled request is an exemplar at once; a not head-sampled one without keeping never', () => {
    const { histogram } = setup();
    const sampled = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED };
    const exemplars = new ExportedTraceExemplars(true, undefined);
    exemplars.offer(...at(histogram.record('x', {}, 0.01)), sampled, 0.01, false);
    exemplars.offer(...at(histogram.record('x', {}, 0.02)), { ...sampled, traceId: 'c'.repeat(32), traceFlags: TraceFlags.NONE }, 0.02, true);
    const slots = histogram.snapshot().points[0].exemplars.filter((slot) => slot !== null);
    expect(slots.map((slot) => slot.traceId)).to.deep.equal(['a'.repeat(32)]);
  });

  it('no span exporter: no exemplar, even of a sampled request', () => {
    const { histogram } = setup();
    const exemplars = new ExportedTraceExemplars(false, undefined);
    exemplars.offer(...at(histogram.record('x', {}, 0.01)), { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED }, 0.01, false);
    expect(histogram.snapshot().points[0].exemplars.every((slot) => slot === null)).to.equal(true);
  });

  it('not head-sampled, kept as an error: an exemplar whether the measurement comes before or after the root ends', () => {
    const { tracer, histogram, exemplars, exemplarIds } = setup();
    // Measurement first (the response closed before the span ended): it waits for the decision.
    const first = tracer.startSpan('GET /fail', { kind: SpanKind.SERVER });
    exemplars.offer(...at(histogram.record('fail', {}, 0.01)), first.spanContext(), 0.01, true);
    expect(exemplarIds()).to.deep.equal([]);
    expect(exemplars.waitingTraces).to.equal(1);
    first.setStatus({ code: SpanStatusCode.ERROR });
    first.end();
    expect(exemplarIds()).to.deep.equal([first.spanContext().traceId]);
    expect(exemplars.waitingTraces).to.equal(0);
    // Root first: the decision is read back.
    const second = tracer.startSpan('GET /fail', { kind: SpanKind.SERVER });
    second.setStatus({ code: SpanStatusCode.ERROR });
    second.end();
    exemplars.offer(...at(histogram.record('fail2', {}, 0.01)), second.spanContext(), 0.01, true);
    expect(exemplarIds()).to.include(second.spanContext().traceId);
  });

  it('not head-sampled and dropped (nothing went wrong): no exemplar, in either order', () => {
    const { tracer, histogram, exemplars, exemplarIds } = setup();
    const first = tracer.startSpan('GET /ok', { kind: SpanKind.SERVER });
    exemplars.offer(...at(histogram.record('ok', {}, 0.01)), first.spanContext(), 0.01, false);
    first.end();
    const second = tracer.startSpan('GET /ok', { kind: SpanKind.SERVER });
    second.end();
    exemplars.offer(...at(histogram.record('ok', {}, 0.01)), second.spanContext(), 0.01, false);
    expect(exemplarIds()).to.deep.equal([]);
    expect(exemplars.waitingTraces).to.equal(0);
  });

  it('a client request inside a kept trace gets its exemplar when the local root decides', () => {
    const { tracer, histogram, exemplars, exemplarIds } = setup();
    const root = tracer.startSpan('GET /chain', { kind: SpanKind.SERVER });
    const ctx = trace.setSpan(context.active(), root);
    const client = tracer.startSpan('GET', { kind: SpanKind.CLIENT }, ctx);
    exemplars.offer(...at(histogram.record('client', {}, 0.01)), client.spanContext(), 0.01, false);
    client.end();
    expect(exemplarIds()).to.deep.equal([]);
    root.setAttribute('http.response.status_code', 502);
    root.end();
    expect(exemplarIds()).to.deep.equal([root.spanContext().traceId]);
  });
});
