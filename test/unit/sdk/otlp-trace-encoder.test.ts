/**
 * Differential test: our OTLP trace encoder (src/sdk/otlp-trace-encoder.ts) against upstream's
 * ProtobufTraceSerializer (@opentelemetry/otlp-transformer, the one the OTLP exporters ship with):
 * byte-identical requests over a corpus of spans (every attribute type and edge value, events, links,
 * status, resources, scopes, dropped counts, tracestate, flags including the W3C random flag, length
 * prefixes of every size), and the result decodes with the OTLP .proto files.
 */
import { expect } from 'chai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { encodeTraceExportRequest, preEncodeSpans } from '../../../src/sdk/otlp-trace-encoder';
import { toReadableSpan } from '../../../src/sdk/readable-span-view';
import type { SpanRecord } from '../../../src/span-record';
import { spanRecord } from '../../helpers/span-records';
import { requestType } from '../../helpers/receivers/otlp-decode';

const resource = resourceFromAttributes({ 'service.name': 'encoder-test', 'host.name': 'h', 'process.pid': 42, 'telemetry.sdk.language': 'nodejs' });
const otherResource = {
  attributes: { 'service.name': 'other', ünïcode: 'ja 日本' },
  schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
} as unknown as typeof resource;

const LONG = 'x'.repeat(300);
const HUGE = 'abcdéf'.repeat(20_000); // 120k chars: three-byte length prefixes up the tree

const edgeAttributes: Attributes = {
  'str.empty': '',
  'str.ascii': 'GET /users/:id',
  'str.31': 'a'.repeat(31),
  'str.32': 'b'.repeat(32),
  'str.127': 'c'.repeat(127),
  'str.128': 'd'.repeat(128),
  'str.long': LONG,
  'str.unicode': 'naïve café 日本語 😀',
  'str.lone-high': 'a\ud800b',
  'str.lone-low': '\udc00',
  'str.nul': 'a\u0000b',
  'int.zero': 0,
  'int.neg': -1,
  'int.min32': -(2 ** 31) - 1,
  'int.2^32': 2 ** 32,
  'int.max-safe': Number.MAX_SAFE_INTEGER,
  'int.2^53': 2 ** 53,
  'int.2^62': 2 ** 62,
  'int.-2^63': -(2 ** 63),
  'num.2^63': 2 ** 63,
  'num.2^64': 2 ** 64,
  'num.double': 1.5,
  'num.neg-zero': -0,
  'num.nan': NaN,
  'num.inf': Infinity,
  'num.-inf': -Infinity,
  'num.tiny': 5e-324,
  'num.huge': 1e300,
  'bool.true': true,
  'bool.false': false,
  'arr.empty': [],
  'arr.str': ['a', '', 'ü'],
  'arr.num': [1, 2.5, -3, NaN],
  'arr.bool': [true, false],
  'arr.mixed': ['a', 1, true, null, undefined] as never,
  'undefined.value': undefined,
  'null.value': null as never,
  'bytes.value': new Uint8Array([0, 1, 255]) as never,
  'kvlist.value': { a: 1, b: 'two', c: [true] } as never,
  'ключ 🔑': 'unicode key',
};

const record = spanRecord;

const recordCorpus: SpanRecord[] = [
  record({ name: 'edge attributes', attributes: edgeAttributes, kind: SpanKind.SERVER, parentSpanId: '00f067aa0ba902b7' }),
  record({ name: '', kind: SpanKind.CLIENT, context: { traceId: 'ABCDEF0123456789abcdef0123456789', spanId: '0000000000000001', traceFlags: 0 } }),
  // Digits outside 0-9a-fA-F, below and past Latin-1, and an odd length: upstream's garbage, byte for byte.
  record({
    name: 'garbage ids',
    context: { traceId: 'zz\u00ff\u0130-Z0123456789abcdef0123456789a', spanId: '00f067aa0ba902b', traceFlags: 1 },
    parentSpanId: 'g\u2028',
  }),
  record({
    name: 'random flag',
    kind: SpanKind.PRODUCER,
    context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 3, traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' },
  }),
  record({ name: 'consumer', kind: SpanKind.CONSUMER, status: { code: SpanStatusCode.ERROR, message: 'boom: ünïcode' } }),
  record({ name: 'ok status, empty message', status: { code: SpanStatusCode.OK, message: '' } }),
  record({ name: 'times', startTime: [0, 0], endTime: [2 ** 32 + 5, 1], duration: [0, 0] }),
  record({ name: 'times near the uint64 end', startTime: [18_446_744_073, 709_551_615], endTime: [4_294_967_295, 999_999_999] }),
  record({
    name: 'events',
    events: [
      {
        name: 'exception',
        time: [1_700_000_000, 5],
        attributes: { 'exception.type': 'Error', 'exception.message': 'x', 'exception.stacktrace': `Error: x\n${'    at f (src/app.js:1:1)\n'.repeat(40)}` },
      },
      { name: 'no attributes', time: [1_700_000_000, 6] },
      { name: 'dropped', time: [1_700_000_000, 7], attributes: {}, droppedAttributesCount: 3 },
      { name: 'ëvent 😀', time: [0, 0], attributes: edgeAttributes },
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
    droppedAttributesCount: 7,
  }),
  record({ name: 'scope with version and schema', scope: { name: 'express', version: '5.1.0', schemaUrl: 'https://opentelemetry.io/schemas/1.27.0' } }),
  record({ name: 'huge attribute', attributes: { huge: HUGE, 'str.long': LONG } }),
];

/** The spans of a real TracerProvider (its own ReadableSpan class, remote parent, limits applied). */
function sdkSpans(): ReadableSpan[] {
  const spans: ReadableSpan[] = [];
  const collect: SpanProcessor = { onStart() {}, onEnd: (span) => void spans.push(span), forceFlush: async () => {}, shutdown: async () => {} };
  const provider = new TracerProvider({ resource, spanProcessors: [collect], spanLimits: { attributeCountLimit: 3, eventCountLimit: 1, linkCountLimit: 1 } });
  const tracer = provider.getTracer('sdk-scope', '1.2.3');
  const { trace, context, TraceFlags } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const remote = trace.setSpanContext(context.active(), {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const span = tracer.startSpan('sdk span', { kind: SpanKind.SERVER, attributes: { a: 1, b: 'two', c: true, d: [1, 2], e: 'dropped by limit' } }, remote);
  span.addEvent('e1', { x: 1 });
  span.addEvent('e2 dropped by limit');
  span.addLink({ context: { traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceFlags: 1, isRemote: true } });
  span.addLink({ context: { traceId: '33333333333333333333333333333333', spanId: '4444444444444444', traceFlags: 0 } });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  span.end();
  tracer.startSpan('child').end();
  return spans;
}

function upstreamBytes(spans: ReadableSpan[]): Buffer {
  return Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
}

function expectEqualRequests(ours: Buffer, theirs: Buffer, what: string): void {
  if (!ours.equals(theirs)) {
    let at = 0;
    while (at < ours.length && ours[at] === theirs[at]) at++;
    expect.fail(`${what}: requests differ at byte ${at} (ours ${ours.length} bytes, upstream ${theirs.length})`);
  }
}

/**
 * Ours from the spans, from the spans pre-encoded as the export worker queues them (in one batch and one
 * by one, so that they sit in several buffers), and from a mix of both: each upstream's bytes.
 */
function expectSameBytes(spans: ReadableSpan[]): void {
  const theirs = upstreamBytes(spans);
  const ours = Buffer.from(encodeTraceExportRequest(spans));
  expectEqualRequests(ours, theirs, 'spans');
  expectEqualRequests(Buffer.from(encodeTraceExportRequest(preEncodeSpans(spans))), theirs, 'pre-encoded spans');
  const oneByOne = spans.flatMap((span) => preEncodeSpans([span]));
  expectEqualRequests(Buffer.from(encodeTraceExportRequest(oneByOne)), theirs, 'spans pre-encoded one by one');
  const mixed = spans.map((span, i) => (i % 2 === 0 ? span : oneByOne[i]));
  expectEqualRequests(Buffer.from(encodeTraceExportRequest(mixed)), theirs, 'spans and pre-encoded spans mixed');
  // And it is a valid request for a real decoder.
  const decoded = requestType().decode(ours) as unknown as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
  const count = decoded.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0);
  expect(count).to.equal(spans.length);
}

describe('OTLP trace encoder vs upstream ProtobufTraceSerializer', () => {
  it('encodes each corpus span alone to the same bytes', () => {
    for (const r of recordCorpus) expectSameBytes([toReadableSpan(r, resource)]);
  });

  it('encodes the whole corpus, two resources and shared and distinct scope objects, to the same bytes', () => {
    const views = recordCorpus.map((r, i) => toReadableSpan(r, i % 3 === 0 ? otherResource : resource));
    expectSameBytes([...views, ...sdkSpans(), ...views.slice().reverse()]);
  });

  it('encodes a batch of 512 typical spans (multi-byte batch lengths) to the same bytes, twice in a row (the scratch buffer is reused)', () => {
    const batch: ReadableSpan[] = [];
    for (let i = 0; i < 512; i++) {
      batch.push(
        toReadableSpan(
          record({
            name: 'GET /users/:id',
            kind: SpanKind.SERVER,
            context: { traceId: i.toString(16).padStart(32, '0'), spanId: (i + 1).toString(16).padStart(16, '0'), traceFlags: 1 },
            attributes: {
              'http.request.method': 'GET',
              'url.path': `/users/${i}`,
              'http.response.status_code': 200,
              'http.route': '/users/:id',
              'user_agent.original': 'autocannon',
            },
          }),
          resource,
        ),
      );
    }
    expectSameBytes(batch);
    expectSameBytes(batch.slice(0, 3));
    expectSameBytes(batch);
  });

  it('encodes an empty batch to the same (empty) request', () => {
    expectSameBytes([]);
  });

  it('pre-encoded spans pass through a BatchSpanProcessor as the export worker queues them: sampled ones exported as upstream encodes them, unsampled ones dropped', async () => {
    const sampled = recordCorpus.map((r) => toReadableSpan(r, resource)).filter((span) => span.spanContext().traceFlags & 1);
    const unsampled = toReadableSpan(record({ name: 'not sampled', context: { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 0 } }), resource);
    const requests: Buffer[] = [];
    const exporter = {
      export(spans: ReadableSpan[], done: (result: { code: number }) => void) {
        requests.push(Buffer.from(encodeTraceExportRequest(spans)));
        done({ code: 0 });
      },
      shutdown: async () => {},
    };
    const processor = new BatchSpanProcessor({ exporter, maxExportBatchSize: 1000, scheduledDelayMillis: 60_000 });
    for (const span of preEncodeSpans([...sampled, unsampled])) processor.onEnd(span as unknown as ReadableSpan);
    await processor.forceFlush();
    expect(requests).to.have.length(1);
    expectEqualRequests(requests[0], upstreamBytes(sampled), 'exported');
    await processor.shutdown();
  });

  it('encodes malformed ids (odd length, not hex, upper case) as upstream does', () => {
    for (const traceId of ['abc', 'zz', '', '0AF7651916CD43DD8448EB211C80319C']) {
      expectSameBytes([toReadableSpan(record({ name: 'bad id', context: { traceId, spanId: 'b7ad6b716920333', traceFlags: 1 } }), resource)]);
    }
  });
});
