/**
 * ClientErrorTypeProcessor: `error.type` on failed CLIENT spans that upstream left without it
 * (instrumentation-undici), from the exception event, before the exporter sees the span.
 */
import { expect } from 'chai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ClientErrorTypeProcessor, clientErrorTypeOf } from '../../../src/errors/client-error-type';

describe('ClientErrorTypeProcessor', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new ClientErrorTypeProcessor(), new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('client-error-type-test');

  afterEach(() => exporter.reset());
  after(() => provider.shutdown());

  function failedClientSpan(exception: Error, kind = SpanKind.CLIENT) {
    const span = tracer.startSpan('GET', { kind });
    span.recordException(exception);
    span.setStatus({ code: SpanStatusCode.ERROR, message: exception.message });
    span.end();
    return exporter.getFinishedSpans().pop()!;
  }

  it('copies the exception type (the error code) to error.type before export', () => {
    const span = failedClientSpan(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    expect(span.attributes['error.type']).to.equal('ECONNREFUSED');
  });

  it('maps a DOMException legacy code (a fetch timed out by AbortSignal.timeout) back to its name', async () => {
    const timeout = await new Promise<Error>((resolve) => {
      const signal = AbortSignal.timeout(1);
      signal.addEventListener('abort', () => resolve(signal.reason as Error));
    });
    expect(timeout.name).to.equal('TimeoutError');
    expect(failedClientSpan(timeout).attributes['error.type']).to.equal('TimeoutError');
  });

  it('leaves an existing error.type, successful spans and non-client spans alone', () => {
    const span = tracer.startSpan('GET', { kind: SpanKind.CLIENT, attributes: { 'error.type': 'Error' } });
    span.recordException(Object.assign(new Error('x'), { code: 'ECONNRESET' }));
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    expect(exporter.getFinishedSpans().pop()!.attributes['error.type']).to.equal('Error');

    const ok = tracer.startSpan('GET', { kind: SpanKind.CLIENT });
    ok.recordException(new Error('retried and recovered'));
    ok.end();
    expect(exporter.getFinishedSpans().pop()!.attributes).not.to.have.property('error.type');

    expect(failedClientSpan(new Error('server side'), SpanKind.SERVER).attributes).not.to.have.property('error.type');
  });

  it('does nothing without an exception event', () => {
    expect(clientErrorTypeOf({ kind: SpanKind.CLIENT, status: { code: SpanStatusCode.ERROR }, attributes: {}, events: [] })).to.equal(undefined);
  });
});
