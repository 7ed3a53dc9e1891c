/**
 * recordExceptionOnSpan against the real SDK span: one event per error, the attributes it promises,
 * status marking left to the caller, and no way for an error value to make it throw or mutate.
 */
import { expect } from 'chai';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ATTR_ERROR_CODE, ATTR_ERROR_HTTP_STATUS_CODE, isServerFailure, recordExceptionOnSpan } from '../../../src/errors/record-exception';

const WITH_STACK = { captureStacktrace: true, markError: true };

describe('recordExceptionOnSpan', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('record-exception-test');

  afterEach(() => exporter.reset());
  after(() => provider.shutdown());

  function finished(span: Span): ReadableSpan {
    span.end();
    const [readable] = exporter.getFinishedSpans().filter((s) => s.spanContext().spanId === span.spanContext().spanId);
    return readable;
  }

  it('adds one exception event with type, message and stack, and marks the span', () => {
    const span = tracer.startSpan('op');
    const error = new TypeError('bad input');
    expect(recordExceptionOnSpan(span, error, WITH_STACK)).to.equal(true);
    const readable = finished(span);
    expect(readable.events).to.have.length(1);
    const [event] = readable.events;
    expect(event.name).to.equal('exception');
    expect(event.attributes).to.deep.equal({
      'exception.type': 'TypeError',
      'exception.message': 'bad input',
      'exception.stacktrace': error.stack,
    });
    expect(readable.attributes['error.type']).to.equal('TypeError');
    expect(readable.attributes).not.to.have.property(ATTR_ERROR_CODE);
    expect(readable.attributes).not.to.have.property(ATTR_ERROR_HTTP_STATUS_CODE);
    expect(readable.status).to.deep.equal({ code: SpanStatusCode.ERROR, message: 'bad input' });
  });

  it('uses a string code as error.type and records error.code; numeric codes are kept as numbers', () => {
    const span = tracer.startSpan('op');
    recordExceptionOnSpan(span, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), WITH_STACK);
    const readable = finished(span);
    expect(readable.events[0].attributes!['exception.type']).to.equal('Error');
    expect(readable.attributes['error.type']).to.equal('ECONNREFUSED');
    expect(readable.attributes[ATTR_ERROR_CODE]).to.equal('ECONNREFUSED');

    const other = tracer.startSpan('op');
    recordExceptionOnSpan(other, Object.assign(new Error('driver'), { code: 1205 }), WITH_STACK);
    const readableOther = finished(other);
    expect(readableOther.attributes['error.type']).to.equal('Error');
    expect(readableOther.attributes[ATTR_ERROR_CODE]).to.equal(1205);
  });

  it('falls back to the constructor name when name is empty, and omits the stack when not captured', () => {
    class QuotaExceeded extends Error {}
    const error = new QuotaExceeded('over');
    Object.defineProperty(error, 'name', { value: '' });
    const span = tracer.startSpan('op');
    recordExceptionOnSpan(span, error, { captureStacktrace: false, markError: true });
    const readable = finished(span);
    expect(readable.events[0].attributes).to.deep.equal({ 'exception.type': 'QuotaExceeded', 'exception.message': 'over' });
  });

  it('records non-Error values: strings, numbers, plain objects, null and undefined', () => {
    const cases: [unknown, string, string][] = [
      ['boom', 'string', 'boom'],
      [42, 'number', '42'],
      [{ message: 'object with message', status: 503 }, 'object', 'object with message'],
      [{ reason: 'no message' }, 'object', '[object Object]'],
      [null, 'null', 'null'],
      [undefined, 'undefined', 'undefined'],
    ];
    for (const [value, type, message] of cases) {
      const span = tracer.startSpan('op');
      expect(recordExceptionOnSpan(span, value, WITH_STACK), String(message)).to.equal(true);
      const readable = finished(span);
      expect(readable.events, message).to.have.length(1);
      expect(readable.events[0].attributes, message).to.deep.equal({ 'exception.type': type, 'exception.message': message });
      expect(readable.attributes['error.type'], message).to.equal(type);
      expect(readable.status.code, message).to.equal(SpanStatusCode.ERROR);
    }
  });

  it('records the same error object once per span, but again on another span', () => {
    const error = new Error('once');
    const span = tracer.startSpan('op');
    const other = tracer.startSpan('other');
    expect(recordExceptionOnSpan(span, error, WITH_STACK)).to.equal(true);
    expect(recordExceptionOnSpan(span, error, WITH_STACK)).to.equal(false);
    expect(recordExceptionOnSpan(span, error, { captureStacktrace: false, markError: false })).to.equal(false);
    expect(recordExceptionOnSpan(other, error, WITH_STACK)).to.equal(true);
    expect(finished(span).events).to.have.length(1);
    expect(finished(other).events).to.have.length(1);
  });

  it('dedupes primitive values by value, and keeps distinct errors with equal messages apart', () => {
    const span = tracer.startSpan('op');
    recordExceptionOnSpan(span, 'boom', WITH_STACK);
    recordExceptionOnSpan(span, 'boom', WITH_STACK);
    recordExceptionOnSpan(span, new Error('same text'), WITH_STACK);
    recordExceptionOnSpan(span, new Error('same text'), WITH_STACK);
    expect(finished(span).events.map((e) => e.attributes!['exception.message'])).to.deep.equal(['boom', 'same text', 'same text']);
  });

  it('leaves the status UNSET for an error carrying a 4xx status and records that status', () => {
    const error = Object.assign(new Error('no such user'), { status: 404, expose: true });
    expect(isServerFailure(error)).to.equal(false);
    const span = tracer.startSpan('op');
    recordExceptionOnSpan(span, error, { captureStacktrace: true, markError: isServerFailure(error) });
    const readable = finished(span);
    expect(readable.events).to.have.length(1);
    expect(readable.status.code).to.equal(SpanStatusCode.UNSET);
    expect(readable.attributes).not.to.have.property('error.type');
    expect(readable.attributes[ATTR_ERROR_HTTP_STATUS_CODE]).to.equal(404);
  });

  it('marks 5xx and status-less errors as server failures; statusCode is read too; nonsense statuses are ignored', () => {
    expect(isServerFailure(new Error('x'))).to.equal(true);
    expect(isServerFailure(Object.assign(new Error('x'), { statusCode: 502 }))).to.equal(true);
    expect(isServerFailure(Object.assign(new Error('x'), { statusCode: 409 }))).to.equal(false);
    expect(isServerFailure({ status: 401 })).to.equal(false);
    expect(isServerFailure(Object.assign(new Error('x'), { status: '404' }))).to.equal(true);
    expect(isServerFailure(Object.assign(new Error('x'), { status: 4040 }))).to.equal(true);
    const span = tracer.startSpan('op');
    recordExceptionOnSpan(span, Object.assign(new Error('upstream down'), { statusCode: 502 }), WITH_STACK);
    const readable = finished(span);
    expect(readable.attributes[ATTR_ERROR_HTTP_STATUS_CODE]).to.equal(502);
    expect(readable.status.code).to.equal(SpanStatusCode.ERROR);
  });

  it('never mutates the error: frozen errors work and no property is added', () => {
    const error = Object.freeze(Object.assign(new Error('frozen'), { code: 'E_FROZEN' }));
    const keysBefore = Reflect.ownKeys(error);
    const span = tracer.startSpan('op');
    expect(recordExceptionOnSpan(span, error, WITH_STACK)).to.equal(true);
    expect(recordExceptionOnSpan(span, error, WITH_STACK)).to.equal(false);
    expect(Reflect.ownKeys(error)).to.deep.equal(keysBefore);
    expect(finished(span).events).to.have.length(1);
  });

  it('never throws on a hostile error whose getters throw, and records what it can', () => {
    const hostile = new Error('hidden');
    // 'stack' first: redefining it formats the lazy stack, which reads 'name'.
    for (const key of ['stack', 'name', 'message', 'code', 'status', 'statusCode']) {
      Object.defineProperty(hostile, key, {
        get() {
          throw new Error(`getter ${key}`);
        },
      });
    }
    const span = tracer.startSpan('op');
    expect(() => recordExceptionOnSpan(span, hostile, WITH_STACK)).not.to.throw();
    const readable = finished(span);
    expect(readable.events).to.have.length(1);
    expect(readable.events[0].attributes!['exception.type']).to.equal('Error');
    expect(readable.status.code).to.equal(SpanStatusCode.ERROR);
  });

  it('never throws on a proxy whose every trap throws, nor on a value whose toString throws', () => {
    const trap = () => {
      throw new Error('trap');
    };
    const proxy = new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });
    const badString = { toString: trap, [Symbol.toPrimitive]: trap };
    const span = tracer.startSpan('op');
    expect(() => recordExceptionOnSpan(span, proxy, WITH_STACK)).not.to.throw();
    expect(() => recordExceptionOnSpan(span, badString, WITH_STACK)).not.to.throw();
    expect(finished(span).events).to.have.length(2);
  });

  it('does nothing on an ended span, a non-recording span or no span', () => {
    const span = tracer.startSpan('op');
    span.end();
    expect(recordExceptionOnSpan(span, new Error('late'), WITH_STACK)).to.equal(false);
    const [readable] = exporter.getFinishedSpans();
    expect(readable.events).to.have.length(0);
    expect(readable.status.code).to.equal(SpanStatusCode.UNSET);

    const unsampled = new TracerProvider({ sampler: { shouldSample: () => ({ decision: 0 }), toString: () => 'off' } });
    const nonRecording = unsampled.getTracer('t').startSpan('op');
    expect(nonRecording.isRecording()).to.equal(false);
    expect(recordExceptionOnSpan(nonRecording, new Error('x'), WITH_STACK)).to.equal(false);
    expect(recordExceptionOnSpan(undefined, new Error('x'), WITH_STACK)).to.equal(false);
  });
});
