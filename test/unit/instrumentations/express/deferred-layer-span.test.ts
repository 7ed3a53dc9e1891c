/**
 * TRACING_EXPRESS_MIDDLEWARE_SPANS=auto: a layer span exists only if something needed it. No timing
 * assertions: the start times are set far from "now" so that the 1 ms rule cannot be near its edge.
 */
import { expect } from 'chai';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { DeferredLayerSpan } from '../../../../src/instrumentations/express/deferred-layer-span';

describe('DeferredLayerSpan (express middleware spans, mode auto)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  const parent = tracer.startSpan('parent');
  const parentContext = trace.setSpan(context.active(), parent);
  const attributes = { 'express.name': 'auth', 'express.type': 'middleware' };
  // Dispatched "in the future": the layer has lasted less than 0 ms when it finishes.
  const justNow = () => performance.now() + 60_000;
  const longAgo = () => performance.now() - 50;

  beforeEach(() => exporter.reset());

  it('a fast layer without error or child is never started: nothing exported', () => {
    new DeferredLayerSpan(tracer, 'middleware - auth', attributes, parentContext, justNow()).finish();
    expect(exporter.getFinishedSpans()).to.deep.equal([]);
  });

  it('a layer that took >= 1 ms is exported with its start time, name, attributes and parent', () => {
    const start = longAgo();
    new DeferredLayerSpan(tracer, 'middleware - auth', attributes, parentContext, start).finish();
    const [span] = exporter.getFinishedSpans();
    expect(span.name).to.equal('middleware - auth');
    expect(span.attributes).to.deep.equal(attributes);
    expect(span.parentSpanContext?.spanId).to.equal(parent.spanContext().spanId);
    expect(span.duration[0] * 1e3 + span.duration[1] / 1e6).to.be.at.least(49);
  });

  it('a child started under it makes it real first: the child has an exported parent', () => {
    const layer = new DeferredLayerSpan(tracer, 'middleware - auth', attributes, parentContext, justNow());
    const child = tracer.startSpan('db query', {}, trace.setSpan(parentContext, layer));
    child.end();
    layer.finish();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).to.deep.equal(['db query', 'middleware - auth']);
    expect(spans[0].parentSpanContext?.spanId).to.equal(spans[1].spanContext().spanId);
  });

  it('a child started after the layer ended (work left running after next()) still finds its parent exported', () => {
    const layer = new DeferredLayerSpan(tracer, 'middleware - auth', attributes, parentContext, performance.now());
    layer.finish();
    const child = tracer.startSpan('late work', {}, trace.setSpan(parentContext, layer));
    child.end();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name).sort()).to.deep.equal(['late work', 'middleware - auth']);
    expect(child.spanContext().traceId).to.equal(parent.spanContext().traceId);
    expect(spans.find((span) => span.name === 'late work')?.parentSpanContext?.spanId).to.equal(
      spans.find((span) => span.name === 'middleware - auth')?.spanContext().spanId,
    );
  });

  it('an error recorded on it keeps it', () => {
    const layer = new DeferredLayerSpan(tracer, 'middleware - auth', attributes, parentContext, justNow());
    layer.recordException(new Error('denied'));
    layer.finish();
    expect(exporter.getFinishedSpans().map((span) => span.events[0]?.name)).to.deep.equal(['exception']);
  });

  it('is recording, and ending it from the app does not end it twice', () => {
    const layer = new DeferredLayerSpan(tracer, 'middleware - auth', attributes, parentContext, justNow());
    expect(layer.isRecording()).to.equal(true);
    layer.end();
    layer.finish();
    expect(exporter.getFinishedSpans()).to.have.length(1);
  });
});
