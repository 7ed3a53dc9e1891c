/**
 * OutcomeKeepingProcessor with real SDK spans: which local traces are kept, what is marked, late
 * children, and the bound on spans waiting for their request's outcome.
 */
import { expect } from 'chai';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { loadConfig } from '../../../src/config/load-config';
import { createLogger } from '../../../src/logger';
import { OutcomeKeepingProcessor } from '../../../src/sdk/keep-by-outcome';
import { AgentSampler } from '../../../src/sdk/sampling';
import { RecordingExport } from '../../helpers/recording-export';
import { noteTraceIdShown } from '../../../src/patches/request-spans';

function setup(env: Record<string, string>) {
  const { config } = loadConfig({ env: { TRACING_SAMPLE_RATE: '0', ...env } });
  const exported = new RecordingExport();
  const keeping = new OutcomeKeepingProcessor(config, exported.asExportProcessor(), createLogger('none'));
  const provider = new TracerProvider({ sampler: new AgentSampler(config, true), spanProcessors: [keeping] });
  const tracer = provider.getTracer('test');
  /** A local root with `children` child spans ended before it. */
  const request = (finish: (root: Span) => void, children = 2): Span => {
    const root = tracer.startSpan('GET /x', { kind: SpanKind.SERVER });
    const ctx = trace.setSpan(context.active(), root);
    for (let i = 0; i < children; i++) tracer.startSpan(`child ${i}`, {}, ctx).end();
    finish(root);
    root.end();
    return root;
  };
  return { exported, keeping, tracer, request };
}

describe('sdk: OutcomeKeepingProcessor', () => {
  it('drops an unsampled request that went well; keeps a failing one with its children, marked error', () => {
    const { exported, keeping, request } = setup({});
    request(() => {});
    expect(exported.kept).to.deep.equal([]);
    request((root) => root.setStatus({ code: SpanStatusCode.ERROR }));
    expect(exported.kept.map(({ span, keptBy }) => [span.name, keptBy])).to.deep.equal([
      ['child 0', 'error'],
      ['child 1', 'error'],
      ['GET /x', 'error'],
    ]);
    expect(keeping.counts).to.deep.include({ error: 1, slow: 0, spans: 3 });
    expect(keeping.pendingSpans).to.equal(0);
  });

  it('error means: status ERROR, an exception event, a 5xx, or a trace id shown in the body; a plain 4xx is not', () => {
    const { exported, request } = setup({});
    request((root) => root.recordException(new Error('x')));
    request((root) => root.setAttribute('http.response.status_code', 503));
    request((root) => noteTraceIdShown(root));
    request((root) => root.setAttribute('http.response.status_code', 404));
    expect(exported.kept.filter(({ span }) => span.name === 'GET /x')).to.have.length(3);
  });

  it('TRACING_KEEP_SLOWER_THAN_MS: a slow root is kept as slow; TRACING_KEEP_ERRORS=false keeps no error', async () => {
    const { exported, tracer } = setup({ TRACING_KEEP_SLOWER_THAN_MS: '20', TRACING_KEEP_ERRORS: 'false' });
    const slow = tracer.startSpan('slow', { kind: SpanKind.SERVER });
    await new Promise((resolve) => setTimeout(resolve, 30));
    slow.end();
    const failed = tracer.startSpan('failed', { kind: SpanKind.SERVER });
    failed.setStatus({ code: SpanStatusCode.ERROR });
    failed.end();
    expect(exported.kept.map(({ span, keptBy }) => [span.name, keptBy])).to.deep.equal([['slow', 'slow']]);
  });

  it('a child that ends after its kept root follows it; one of a dropped root is dropped', () => {
    const { exported, tracer } = setup({});
    for (const fail of [true, false]) {
      const root = tracer.startSpan(fail ? 'failing' : 'fine', { kind: SpanKind.SERVER });
      const late = tracer.startSpan('late', {}, trace.setSpan(context.active(), root));
      if (fail) root.setStatus({ code: SpanStatusCode.ERROR });
      root.end();
      late.end();
    }
    expect(exported.kept.map(({ span }) => span.name)).to.deep.equal(['failing', 'late']);
  });

  it('a trace kept once stays kept for its late spans, even when another of its local roots is dropped later', () => {
    const { exported, tracer } = setup({});
    const failing = tracer.startSpan('failing', { kind: SpanKind.SERVER });
    const late = tracer.startSpan('late', {}, trace.setSpan(context.active(), failing));
    failing.setStatus({ code: SpanStatusCode.ERROR });
    failing.end();
    // A second local root of the same trace (a remote parent in the same trace), fine this time.
    const remoteParent = trace.setSpanContext(context.active(), { ...failing.spanContext(), isRemote: true });
    tracer.startSpan('second root', { kind: SpanKind.SERVER }, remoteParent).end();
    late.end();
    expect(exported.kept.map(({ span, keptBy }) => [span.name, keptBy])).to.deep.equal([
      ['failing', 'error'],
      ['late', 'error'],
    ]);
  });

  it('a late child of a request that went well is dropped at once, not held until the bound evicts it', () => {
    const { keeping, tracer } = setup({ TRACING_KEEP_MAX_PENDING_SPANS: '10' });
    for (let r = 0; r < 50; r++) {
      const root = tracer.startSpan('fine', { kind: SpanKind.SERVER });
      const late = tracer.startSpan('late', {}, trace.setSpan(context.active(), root));
      root.end();
      late.end();
    }
    expect(keeping.pendingSpans).to.equal(0);
    expect(keeping.counts.pendingDropped).to.equal(0);
  });

  it('sampled spans pass straight through, unmarked', () => {
    const { exported, tracer } = setup({ TRACING_SAMPLE_RATE: '1' });
    tracer.startSpan('sampled').end();
    expect(exported.sampled.map((span) => span.name)).to.deep.equal(['sampled']);
    expect(exported.kept).to.deep.equal([]);
  });

  it('bounded: past TRACING_KEEP_MAX_PENDING_SPANS the oldest waiting request is dropped and counted', () => {
    const { keeping, tracer } = setup({ TRACING_KEEP_MAX_PENDING_SPANS: '5' });
    // Three requests still in flight, three finished children each.
    for (let r = 0; r < 3; r++) {
      const root = tracer.startSpan(`open ${r}`, { kind: SpanKind.SERVER });
      const ctx = trace.setSpan(context.active(), root);
      for (let i = 0; i < 3; i++) tracer.startSpan('child', {}, ctx).end();
    }
    expect(keeping.pendingSpans).to.be.at.most(5);
    expect(keeping.counts.pendingDropped).to.equal(6);
  });
});
