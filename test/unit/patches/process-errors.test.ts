/**
 * The process-errors patch in process: one monitor listener, nothing else; the error lands on the
 * request's server span found in the active context, and that span is ended only when Node is about to
 * die. (The real crashes run in test/integration/error-events.test.ts.)
 */
import { expect } from 'chai';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { RPCType, setRPCMetadata } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../../../src/config/types';
import { createLogger } from '../../../src/logger';
import { processErrorsPatch } from '../../../src/patches/process-errors';

const config = { captureStacktrace: false } as unknown as AgentConfig;
const emitMonitor = (error: unknown, origin: string) => (process.emit as (...args: unknown[]) => boolean)('uncaughtExceptionMonitor', error, origin);

describe('process-errors patch (in process)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('process-errors-test');
  const contextManager = new AsyncLocalStorageContextManager();

  before(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  after(async () => {
    processErrorsPatch.unpatch();
    context.disable();
    await provider.shutdown();
  });
  beforeEach(() => {
    exporter.reset();
    processErrorsPatch.patch({ config, logger: createLogger('none') });
  });
  afterEach(() => processErrorsPatch.unpatch());

  /** Runs `fn` the way the http instrumentation runs a request handler: server span active, RPC metadata set. */
  function inRequest(serverSpan: Span, activeSpan: Span, fn: () => void): void {
    const requestContext = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, serverSpan), { type: RPCType.HTTP, span: serverSpan });
    context.with(trace.setSpan(requestContext, activeSpan), fn);
  }

  /** Runs `fn` as if Node were about to crash: no 'uncaughtException' listener (mocha has one). */
  function withoutUncaughtListeners(fn: () => void): void {
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    try {
      fn();
    } finally {
      for (const listener of listeners) process.on('uncaughtException', listener);
    }
  }

  it('adds exactly one uncaughtExceptionMonitor listener and no crash-changing listener; unpatch removes it', () => {
    processErrorsPatch.unpatch();
    const before = {
      monitor: process.listenerCount('uncaughtExceptionMonitor'),
      uncaught: process.listenerCount('uncaughtException'),
      unhandled: process.listenerCount('unhandledRejection'),
    };
    processErrorsPatch.patch({ config, logger: createLogger('none') });
    processErrorsPatch.patch({ config, logger: createLogger('none') });
    expect(process.listenerCount('uncaughtExceptionMonitor')).to.equal(before.monitor + 1);
    expect(process.listenerCount('uncaughtException')).to.equal(before.uncaught);
    expect(process.listenerCount('unhandledRejection')).to.equal(before.unhandled);
    processErrorsPatch.unpatch();
    expect(process.listenerCount('uncaughtExceptionMonitor')).to.equal(before.monitor);
  });

  it("records on the request's server span (not the active layer span) and ends it when the process will crash", () => {
    const server = tracer.startSpan('GET', { kind: SpanKind.SERVER });
    const layer = tracer.startSpan('request handler - /x');
    const error = new Error('timer boom');
    withoutUncaughtListeners(() => inRequest(server, layer, () => emitMonitor(error, 'uncaughtException')));
    expect(server.isRecording(), 'server span ended').to.equal(false);
    layer.end();
    const spans = exporter.getFinishedSpans();
    const serverSpan = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(serverSpan.events.map((e) => e.attributes)).to.deep.equal([{ 'exception.type': 'Error', 'exception.message': 'timer boom' }]);
    expect(serverSpan.status.code).to.equal(SpanStatusCode.ERROR);
    expect(spans.find((s) => s.kind !== SpanKind.SERVER)!.events).to.have.length(0);
  });

  it('also ends the span for an unhandled rejection, and marks ERROR whatever status the error asks for', () => {
    const server = tracer.startSpan('GET', { kind: SpanKind.SERVER });
    withoutUncaughtListeners(() => inRequest(server, server, () => emitMonitor(Object.assign(new Error('rejected'), { status: 404 }), 'unhandledRejection')));
    expect(server.isRecording()).to.equal(false);
    const [span] = exporter.getFinishedSpans();
    expect(span.events).to.have.length(1);
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
  });

  it("records but leaves the span open when the app has an 'uncaughtException' listener (the process lives on)", () => {
    const server = tracer.startSpan('GET', { kind: SpanKind.SERVER });
    inRequest(server, server, () => emitMonitor(new Error('survived'), 'uncaughtException'));
    expect(server.isRecording()).to.equal(true);
    server.end();
    const [span] = exporter.getFinishedSpans();
    expect(span.events).to.have.length(1);
    expect(span.status.code).to.equal(SpanStatusCode.ERROR);
  });

  it('outside a request records on the active span without ending it; with no span does nothing', () => {
    const job = tracer.startSpan('background job');
    withoutUncaughtListeners(() => context.with(trace.setSpan(ROOT_CONTEXT, job), () => emitMonitor('string reason', 'unhandledRejection')));
    expect(job.isRecording()).to.equal(true);
    job.end();
    expect(exporter.getFinishedSpans()[0].events.map((e) => e.attributes)).to.deep.equal([
      { 'exception.type': 'string', 'exception.message': 'string reason' },
    ]);
    expect(() => withoutUncaughtListeners(() => emitMonitor(new Error('nowhere'), 'uncaughtException'))).not.to.throw();
  });

  it('leaves a server span that upstream already recorded and ended alone (one event)', () => {
    const server = tracer.startSpan('GET', { kind: SpanKind.SERVER });
    const error = new Error('sync throw');
    server.recordException(error);
    server.end();
    withoutUncaughtListeners(() => inRequest(server, server, () => emitMonitor(error, 'uncaughtException')));
    const [span] = exporter.getFinishedSpans();
    expect(span.events).to.have.length(1);
  });
});
