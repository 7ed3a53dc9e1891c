/**
 * Pending SERVER spans (sdk/deferred-roots.ts, http-server/pending-server-span.ts) against the recorded
 * spans they replace: with the same calls, the span keep-by-outcome gets is the one the SDK recorded
 * before (ids, parent, name, kind, attributes, events, links, status, times), it exists only when the
 * outcome may keep it, and a dropped root tells keep-by-outcome so its children go too.
 */
import { expect } from 'chai';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { loadConfig } from '../../../src/config/load-config';
import { createLogger } from '../../../src/logger';
import { noteTraceIdShown } from '../../../src/patches/request-spans';
import { PendingServerSpan, startServerSpan } from '../../../src/instrumentations/http-server/pending-server-span';
import { ReusableIdGenerator, supportRootDeferral } from '../../../src/sdk/deferred-roots';
import { OutcomeKeepingProcessor } from '../../../src/sdk/keep-by-outcome';
import { AgentSampler } from '../../../src/sdk/sampling';
import { RecordingExport } from '../../helpers/recording-export';

/** Every span the SDK ends, sampled or not (what the SDK built). */
class EveryEnded {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setup(env: Record<string, string>, { deferral }: { deferral: boolean }) {
  const { config } = loadConfig({ env: { TRACING_SAMPLE_RATE: '0', ...env } });
  const exported = new RecordingExport();
  const ended = new EveryEnded();
  const keeping = new OutcomeKeepingProcessor(config, exported.asExportProcessor(), createLogger('none'));
  const ids = new ReusableIdGenerator();
  const provider = new TracerProvider({ sampler: new AgentSampler(config, true), idGenerator: ids, spanProcessors: [ended, keeping] });
  const tracer = provider.getTracer('test');
  supportRootDeferral(deferral ? { ids, dropLocalTrace: (traceId) => keeping.dropLocalTrace(traceId), keepSlowerThanMs: config.keepSlowerThanMs } : undefined);
  return { exported, ended, keeping, tracer };
}

const ATTRIBUTES: Attributes = { 'http.request.method': 'GET', 'url.path': '/users/42', 'url.scheme': 'http', 'server.port': 8080 };
const REMOTE_PARENT = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.NONE,
  isRemote: true,
});

/** What the http server instrumentation and the agent's patches do to a failing request's span. */
const FAILURE = Object.assign(new Error('database timeout'), { code: 'ETIMEDOUT' });

function failingRequest(span: Span): void {
  span.setAttribute('network.peer.port', 51234);
  span.setAttributes({ 'user_agent.original': 'curl/8' });
  span.addEvent('cache miss', { key: 'users:42' });
  span.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED }, attributes: { why: 'batch' } });
  span.recordException(FAILURE);
  span.setAttribute('http.response.status_code', 500);
  span.setAttribute('http.route', '/users/:id');
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.updateName('GET /users/:id');
}

function comparable(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    traceId: span.spanContext().traceId,
    parent: span.parentSpanContext?.spanId,
    attributes: span.attributes,
    events: span.events.map(({ name, attributes }) => ({ name, attributes })),
    links: span.links,
    status: span.status,
    droppedAttributesCount: span.droppedAttributesCount,
    scope: span.instrumentationScope.name,
  };
}

describe('http server instrumentation: pending SERVER spans for unsampled requests', () => {
  after(() => supportRootDeferral(undefined));

  it('a failing unsampled request gives the span the SDK recorded before, with its ids, and it is kept', () => {
    const before = setup({}, { deferral: false });
    const recorded = startServerSpan(before.tracer, 'GET', { ...ATTRIBUTES }, REMOTE_PARENT);
    expect(recorded).not.to.be.instanceOf(PendingServerSpan);
    failingRequest(recorded);
    recorded.end();

    const now = setup({}, { deferral: true });
    const pending = startServerSpan(now.tracer, 'GET', { ...ATTRIBUTES }, REMOTE_PARENT);
    expect(pending).to.be.instanceOf(PendingServerSpan);
    expect(pending.isRecording()).to.equal(true);
    expect(pending.spanContext().traceFlags & TraceFlags.SAMPLED).to.equal(0);
    const startedAt = performance.now();
    failingRequest(pending);
    pending.end();
    expect(pending.isRecording()).to.equal(false);

    expect(now.ended.spans).to.have.length(1);
    const materialized = now.ended.spans[0];
    expect(materialized.spanContext().spanId).to.equal(pending.spanContext().spanId);
    expect(materialized.spanContext().traceId).to.equal(pending.spanContext().traceId);
    const expected = comparable(before.ended.spans[0]);
    expect(comparable(materialized)).to.deep.equal(expected);
    // Times are the calls' own: the exception event was recorded before the end, not at the replay.
    const startMs = hrTimeToMilliseconds(materialized.startTime);
    const exceptionMs = hrTimeToMilliseconds(materialized.events.find((e) => e.name === 'exception')!.time);
    expect(exceptionMs).to.be.at.least(startMs);
    expect(hrTimeToMilliseconds(materialized.endTime)).to.be.at.least(exceptionMs);
    expect(hrTimeToMilliseconds(materialized.endTime) - startMs).to.be.below(performance.now() - startedAt + 50);
    expect(now.exported.kept.map(({ span, keptBy }) => [span.spanContext().spanId, keptBy])).to.deep.equal([[pending.spanContext().spanId, 'error']]);
  });

  it('a request that went well builds no SDK span, and its waiting children are dropped with it', () => {
    const { ended, exported, keeping, tracer } = setup({}, { deferral: true });
    const root = startServerSpan(tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT);
    const child = tracer.startSpan('SELECT users', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), root));
    expect(child.isRecording()).to.equal(true);
    expect((child as unknown as ReadableSpan).parentSpanContext?.spanId).to.equal(root.spanContext().spanId);
    child.end();
    expect(keeping.pendingSpans).to.equal(1);
    root.setAttribute('http.response.status_code', 200);
    root.setStatus({ code: SpanStatusCode.UNSET });
    root.updateName('GET /users/:id');
    root.end();
    expect(ended.spans.map((s) => s.name)).to.deep.equal(['SELECT users']);
    expect(keeping.pendingSpans).to.equal(0);
    expect(keeping.decisionOf(root.spanContext().traceId)).to.equal('dropped');
    expect(exported.kept).to.deep.equal([]);
    // A late child follows the decision.
    tracer.startSpan('late', {}, trace.setSpan(context.active(), root)).end();
    expect(keeping.pendingSpans).to.equal(0);
  });

  it('keeps a failing root with the children that waited, under the same parent id', () => {
    const { exported, tracer } = setup({}, { deferral: true });
    const root = startServerSpan(tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT);
    tracer.startSpan('SELECT users', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), root)).end();
    root.setAttribute('http.response.status_code', 503);
    root.end();
    expect(exported.kept.map(({ span }) => [span.name, span.parentSpanContext?.spanId ?? null, span.spanContext().spanId])).to.deep.equal([
      ['SELECT users', root.spanContext().spanId, exported.kept[0].span.spanContext().spanId],
      ['GET', null, root.spanContext().spanId],
    ]);
  });

  it('a trace id shown to the client, or a slow request, makes the SDK span; a plain 4xx does not', async () => {
    const shown = setup({}, { deferral: true });
    const shownRoot = startServerSpan(shown.tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT);
    shownRoot.setAttribute('http.response.status_code', 400);
    noteTraceIdShown(shownRoot);
    shownRoot.end();
    expect(shown.exported.kept.map(({ keptBy }) => keptBy)).to.deep.equal(['error']);

    const plain = startServerSpan(shown.tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT);
    plain.setAttribute('http.response.status_code', 404);
    plain.end();
    expect(shown.ended.spans).to.have.length(1);

    const slow = setup({ TRACING_KEEP_SLOWER_THAN_MS: '15' }, { deferral: true });
    const slowRoot = startServerSpan(slow.tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT);
    const fast = startServerSpan(slow.tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT);
    fast.end();
    await new Promise((resolve) => setTimeout(resolve, 25));
    slowRoot.end();
    expect(slow.exported.kept.map(({ span, keptBy }) => [span.spanContext().spanId, keptBy])).to.deep.equal([[slowRoot.spanContext().spanId, 'slow']]);
  });

  it('sampled requests, and unsampled ones without keep-by-outcome, get the SDK span at once', () => {
    const sampled = setup({ TRACING_SAMPLE_RATE: '1' }, { deferral: true });
    expect(startServerSpan(sampled.tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT)).not.to.be.instanceOf(PendingServerSpan);
    const off = setup({}, { deferral: false });
    expect(startServerSpan(off.tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT)).not.to.be.instanceOf(PendingServerSpan);
  });

  it('a rate-limited root stays unsampled when it becomes an SDK span (the sampler does not decide again)', async () => {
    const { ended, tracer } = setup({ TRACING_SAMPLE_RATE: '1', TRACING_MAX_TRACES_PER_SECOND: '20' }, { deferral: true });
    // Start roots until the bucket is empty and one is limited (20 tokens, 20 more a second).
    let limited: Span | undefined;
    for (let i = 0; i < 10_000 && limited === undefined; i++) {
      const root = startServerSpan(tracer, 'GET', { ...ATTRIBUTES }, ROOT_CONTEXT);
      if (root instanceof PendingServerSpan) limited = root;
      else root.end();
    }
    if (limited === undefined) throw new Error('the rate limit never applied');
    // By its end the bucket has tokens again: a second decision would sample it.
    await new Promise((resolve) => setTimeout(resolve, 150));
    limited.setStatus({ code: SpanStatusCode.ERROR });
    limited.end();
    const materialized = ended.spans.find((s) => s.spanContext().spanId === limited.spanContext().spanId);
    expect(materialized, 'the limited root became an SDK span').not.to.equal(undefined);
    expect(materialized!.spanContext().traceFlags & TraceFlags.SAMPLED).to.equal(0);
  });
});
