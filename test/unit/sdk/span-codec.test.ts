/**
 * The hand-off codec (src/sdk/span-codec.ts): what the worker decodes is exactly the SpanRecord that
 * toSpanRecord (the structured-clone hand-off) gave, for real SDK spans and for every edge value.
 */
import { expect } from 'chai';
import { MessageChannel } from 'worker_threads';
import { SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { SpanBatchEncoder, decodeSpanBatch } from '../../../src/sdk/span-codec';
import type { EncodedSpanBatch } from '../../../src/sdk/span-codec';
import { toSpanRecord } from '../../../src/sdk/to-span-record';
import { toReadableSpan } from '../../../src/sdk/readable-span-view';
import type { SpanRecord } from '../../../src/span-record';
import { spanRecord } from '../../helpers/span-records';
import { resourceFromAttributes } from '@opentelemetry/resources';

const resource = resourceFromAttributes({ 'service.name': 'codec-test' });

const edgeAttributes: Attributes = {
  '': 'empty key',
  'str.empty': '',
  'str.ascii': 'GET /users/:id',
  'str.latin1': 'naïve café ÿ',
  'str.latin1.long': 'é'.repeat(100),
  'str.unicode': '日本語 😀 Ω',
  'str.unicode.long': '日本語😀'.repeat(50),
  'str.lone-high': 'a\ud800b',
  'str.lone-low': '\udc00',
  'str.lone.long': `${'x'.repeat(40)}\ud83d`,
  'str.nul': 'a\u0000b',
  'str.ascii.long': 'y'.repeat(255),
  'str.table.limit': 'z'.repeat(256),
  'str.huge': 'abcdéf😀'.repeat(40_000),
  'int.zero': 0,
  'int.neg': -1,
  'int.2^31-1': 2 ** 31 - 1,
  'int.2^31': 2 ** 31,
  'int.2^32': 2 ** 32,
  'int.2^53+2': 2 ** 53 + 2,
  'int.-2^63': -(2 ** 63),
  'num.neg-zero': -0,
  'num.nan': NaN,
  'num.inf': Infinity,
  'num.-inf': -Infinity,
  'num.double': 0.1 + 0.2,
  'num.tiny': 5e-324,
  'bool.true': true,
  'bool.false': false,
  'arr.empty': [],
  'arr.str': ['a', '', 'ü', 'a'],
  'arr.num': [1, -0, NaN, 2.5, 2 ** 40],
  'arr.mixed': ['a', 1, true, null, undefined] as never,
  'arr.holes': [null, null, undefined] as never,
  'arr.nested': [[1, 'two'], []] as never,
  'arr.big': Array.from({ length: 10_000 }, (_, i) => i),
  'undefined.value': undefined,
  'null.value': null as never,
  'bytes.value': new Uint8Array([0, 1, 255]) as never,
  'object.value': { a: 1, b: ['two'] } as never,
  'bigint.value': 10n as never,
};

const record = spanRecord;

/** ReadableSpans built from records: any value in any field, as an unchecked cast could set it. */
const shapedSpans: ReadableSpan[] = [
  record({ name: 'edge attributes', attributes: edgeAttributes, kind: SpanKind.SERVER, parentSpanId: '00f067aa0ba902b7' }),
  record({ name: '', context: { traceId: 'ABCDEF0123456789ABCDEF0123456789', spanId: 'not-hex!', traceFlags: 0 }, parentSpanId: '00F067AA0BA902B7' }),
  record({ name: 'odd ids', context: { traceId: '', spanId: '0af7651916cd43dd8448eb211c80319c0', traceFlags: 255 } }),
  // A bad digit found late (after the first 15 bytes were converted), and a char code past Latin-1.
  record({
    name: 'late bad digit',
    context: { traceId: '4bf92f3577b34da6a3ce929d0e0e473g', spanId: '00f067aa0ba9\u0130b7', traceFlags: 1 },
    parentSpanId: '00f067aa0ba90\u01627',
  }),
  record({
    name: 'tracestate',
    context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 3, traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' },
  }),
  record({ name: 'status error', status: { code: SpanStatusCode.ERROR, message: 'boom 日本' } }),
  record({ name: 'status empty message', status: { code: SpanStatusCode.OK, message: '' } }),
  record({ name: 'status message undefined', status: { code: SpanStatusCode.ERROR, message: undefined } }),
  record({ name: 'odd times', startTime: [0, 0], endTime: [2 ** 33, 1.5], duration: [-1, NaN] }),
  record({ name: 'odd counts', droppedAttributesCount: -0, droppedEventsCount: 2 ** 40, droppedLinksCount: NaN, kind: 4 }),
  record({
    name: 'events',
    events: [
      {
        name: 'exception',
        time: [1_700_000_000, 5],
        attributes: { 'exception.type': 'Error', 'exception.stacktrace': `Error: x\n${'    at f (/app/src/app.js:1:1)\n'.repeat(100)}` },
      },
      { name: 'no attributes', time: [1_700_000_000, 6] },
      { name: 'dropped', time: [1_700_000_000, 7], attributes: {}, droppedAttributesCount: 3 },
      { name: 'edge', time: [0, 0], attributes: edgeAttributes, droppedAttributesCount: 0 },
    ],
    droppedEventsCount: 2,
  }),
  record({
    name: 'links',
    links: [
      {
        context: { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceFlags: 1, traceState: 'a=b' },
        attributes: { 'link.kind': 'retry', n: 1 },
      },
      { context: { traceId: '33333333333333333333333333333333', spanId: '4444444444444444', traceFlags: 0 } },
      { context: { traceId: '55555555555555555555555555555555', spanId: '6666666666666666', traceFlags: 3 }, attributes: {}, droppedAttributesCount: 9 },
    ],
    droppedLinksCount: 4,
  }),
  record({ name: 'scope with version and schema', scope: { name: 'express', version: '5.1.0', schemaUrl: 'https://opentelemetry.io/schemas/1.27.0' } }),
].map((r) => toReadableSpan(r, resource));

function sdkSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const collect: SpanProcessor = { onStart() {}, onEnd: (span) => void spans.push(span), forceFlush: async () => {}, shutdown: async () => {} };
  const provider = new TracerProvider({ resource, spanProcessors: [collect] });
  const tracer = provider.getTracer('sdk-scope', '1.2.3');
  const remote = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const span = tracer.startSpan(
    'GET /users/:id',
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, flags: [true, false] } },
    remote,
  );
  span.recordException(new Error('failed'));
  span.addLink({ context: { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceFlags: 1, isRemote: true }, attributes: { k: 'v' } });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  span.end();
  for (let i = 0; i < 3; i++) tracer.startSpan(`child ${i}`, { attributes: { 'http.request.method': 'GET', i } }).end();
  provider.getTracer('other-scope').startSpan('other').end();
  return spans;
}

function roundTrip(spans: ReadableSpan[], keptBy?: string): SpanRecord[] {
  const encoder = new SpanBatchEncoder();
  for (const span of spans) encoder.add(span, keptBy === undefined ? undefined : 'otel_agent.kept_by', keptBy);
  const batch = encoder.take()!;
  expect(batch.spanCount).to.equal(spans.length);
  return decodeSpanBatch(batch);
}

/** What the structured-clone hand-off delivered (toSpanRecord, plus the kept-by copy for kept spans). */
function expected(span: ReadableSpan, keptBy?: string): SpanRecord {
  const record = structuredClone(toSpanRecord(span));
  if (keptBy !== undefined) {
    record.attributes = { ...record.attributes, 'otel_agent.kept_by': keptBy };
    record.context = { ...record.context, traceFlags: record.context.traceFlags | TraceFlags.SAMPLED };
  }
  return record;
}

/** deep.equal, plus what it glosses over: -0 vs 0 and the order of keys. */
function expectExactly(actual: unknown, wanted: unknown, where = 'record'): void {
  if (typeof wanted === 'number') {
    expect(Object.is(actual, wanted), `${where}: ${String(actual)} vs ${String(wanted)}`).to.equal(true);
    return;
  }
  if (wanted === null || typeof wanted !== 'object' || wanted instanceof Uint8Array) {
    expect(actual, where).to.deep.equal(wanted);
    return;
  }
  expect(actual, where).to.be.an(Array.isArray(wanted) ? 'array' : 'object');
  expect(Object.keys(actual as object), `${where}: keys`).to.deep.equal(Object.keys(wanted));
  for (const key of Object.keys(wanted)) expectExactly((actual as Record<string, unknown>)[key], (wanted as Record<string, unknown>)[key], `${where}.${key}`);
}

describe('span hand-off codec', () => {
  it('round-trips SDK spans exactly as the structured-clone hand-off did', () => {
    const spans = sdkSpans();
    roundTrip(spans).forEach((decoded, i) => expectExactly(decoded, expected(spans[i]), `span ${i}`));
  });

  it('round-trips every edge value, id shape, event, link and status form exactly', () => {
    roundTrip(shapedSpans).forEach((decoded, i) => expectExactly(decoded, expected(shapedSpans[i]), `span ${i} (${shapedSpans[i].name})`));
  });

  it('adds the kept-by attribute and the sampled flag as the kept copy did, in place when the key exists', () => {
    const spans = [...sdkSpans(), toReadableSpan(record({ name: 'has key', attributes: { a: 1, 'otel_agent.kept_by': 'old', z: 2 } }), resource)];
    roundTrip(spans, 'error').forEach((decoded, i) => expectExactly(decoded, expected(spans[i], 'error'), `span ${i}`));
  });

  it('delivers a function or symbol attribute (which structured clone refused) as undefined, keeping the rest', () => {
    const span = toReadableSpan(record({ name: 'fn', attributes: { fn: (() => 1) as never, sym: Symbol('s') as never, ok: 'yes' } }), resource);
    const [decoded] = roundTrip([span]);
    expectExactly(decoded.attributes, { fn: undefined, sym: undefined, ok: 'yes' });
  });

  it('keeps batches apart: a string table and scopes of their own, many strings (multi-byte indices), a growing buffer', () => {
    const encoder = new SpanBatchEncoder();
    const spans = Array.from({ length: 600 }, (_, i) =>
      toReadableSpan(
        record({ name: `span ${i}`, attributes: { [`key ${i}`]: `value ${i % 7}`, shared: 'same', n: i }, scope: { name: `scope ${i % 3}` } }),
        resource,
      ),
    );
    for (const span of spans.slice(0, 300)) encoder.add(span);
    const first = encoder.take()!;
    for (const span of spans.slice(300)) encoder.add(span);
    const second = encoder.take()!;
    expect(encoder.take()).to.equal(undefined);
    expect(first.buffer).to.not.equal(second.buffer);
    decodeSpanBatch(first).forEach((decoded, i) => expectExactly(decoded, expected(spans[i]), `first ${i}`));
    decodeSpanBatch(second).forEach((decoded, i) => expectExactly(decoded, expected(spans[300 + i]), `second ${i}`));
  });

  it('shares one scope object among the records of a batch that had one scope (the OTLP encoders group by identity)', () => {
    const decoded = roundTrip(sdkSpans());
    expect(decoded[1].scope).to.equal(decoded[2].scope);
    expect(decoded[4].scope).to.not.equal(decoded[1].scope);
  });

  it('rolls a span that throws while being written back out of the batch, and goes on', () => {
    const hostile = toReadableSpan(
      record({
        name: 'hostile',
        attributes: {
          before: 'new string',
          get boom(): string {
            throw new Error('getter');
          },
        },
      }),
      resource,
    );
    const encoder = new SpanBatchEncoder();
    encoder.add(shapedSpans[3]);
    expect(() => encoder.add(hostile)).to.throw('getter');
    expect(encoder.spanCount).to.equal(1);
    const after = toReadableSpan(record({ name: 'after', attributes: { before: 'new string', again: 'new string' } }), resource);
    encoder.add(after);
    const decoded = decodeSpanBatch(encoder.take()!);
    expectExactly(decoded, [expected(shapedSpans[3]), expected(after)]);
  });

  it('moves the batch to another thread without copying it (transfer detaches the buffer)', async () => {
    const encoder = new SpanBatchEncoder();
    const spans = sdkSpans();
    for (const span of spans) encoder.add(span);
    const batch = encoder.take()!;
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<EncodedSpanBatch>((resolve) => port2.once('message', resolve));
    port1.postMessage(batch, [batch.buffer]);
    expect(batch.buffer.byteLength, 'detached on the sending side').to.equal(0);
    const arrived = await received;
    port1.close();
    decodeSpanBatch(arrived).forEach((decoded, i) => expectExactly(decoded, expected(spans[i]), `span ${i}`));
  });
});
