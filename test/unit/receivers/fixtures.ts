/** Shared span fixtures and assertions for the receiver round-trip tests. */
import { expect } from 'chai';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type HrTime, type Link } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { AttrValue, ReceivedSpan, Receiver } from '../../helpers/receivers';

export const SERVICE_NAME = 'receiver-test-svc';
export const SCOPE_NAME = 'receiver-test-scope';
export const SCOPE_VERSION = '1.2.3';
/** A value that must show up verbatim in the raw payload bytes. */
export const MARKER = 'leak-marker-7f3a9c';

export interface Sent {
  server: ReadableSpan;
  client: ReadableSpan;
  internal: ReadableSpan;
  all: ReadableSpan[];
}

/**
 * Emits SERVER (root, error status, exception event) -> CLIENT (child, with a link) and
 * SERVER -> INTERNAL through `exporter` via SimpleSpanProcessor; returns the ReadableSpans that were sent.
 */
export async function emitSampleSpans(exporter: SpanExporter): Promise<Sent> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE_NAME, 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter), new SimpleSpanProcessor(memory)],
  });
  try {
    const tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);
    const server = tracer.startSpan('GET /users/:id', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 500,
        'test.double': 1.25,
        'test.bool': true,
        'test.strings': ['a', 'b'],
        'test.marker': MARKER,
      },
    });
    const serverCtx = trace.setSpan(ROOT_CONTEXT, server);
    const linkTarget: Link = {
      context: { traceId: 'aaaabbbbccccddddeeeeffff00001111', spanId: '0123456789abcdef', traceFlags: 1 },
      attributes: { 'link.reason': 'batch' },
    };
    const client = tracer.startSpan(
      'SELECT users',
      { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'test.int': 42 }, links: [linkTarget] },
      serverCtx,
    );
    client.end();
    const internal = tracer.startSpan('render', { kind: SpanKind.INTERNAL }, serverCtx);
    internal.end();
    server.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom', 'exception.escaped': false });
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    server.end();
    await provider.forceFlush();
    const byId = new Map(memory.getFinishedSpans().map((s) => [s.spanContext().spanId, s]));
    const pick = (id: string): ReadableSpan => byId.get(id) ?? expect.fail(`span ${id} not finished`);
    const sent = {
      server: pick(server.spanContext().spanId),
      client: pick(client.spanContext().spanId),
      internal: pick(internal.spanContext().spanId),
    };
    return { ...sent, all: [sent.client, sent.internal, sent.server] };
  } finally {
    await provider.shutdown(); // also shuts the exporter down
  }
}

/** Finished spans made without any network exporter, for calling exporter.export() directly. */
export async function makeReadableSpans(name = 'direct-export'): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE_NAME }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  provider
    .getTracer(SCOPE_NAME, SCOPE_VERSION)
    .startSpan(name, { attributes: { 'test.marker': MARKER } })
    .end();
  await provider.forceFlush();
  const spans = memory.getFinishedSpans().slice();
  await provider.shutdown();
  return spans;
}

export function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

export { ExportResultCode };

/** Exact nanoseconds (hrTimeToNanoseconds returns a lossy number). */
function ns(t: HrTime): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

const KIND_NAMES = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;

export interface ExpectOptions {
  /** Jaeger: numbers become doubles, arrays become comma-joined strings, times are microseconds,
   * resource attributes are copied into every span's tags, link attributes are dropped. */
  jaeger?: boolean;
  /** Expected resource beyond service.name (subset). */
  resource?: Record<string, AttrValue>;
}

function expectedAttrs(attrs: ReadableSpan['attributes'], jaeger: boolean): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) continue;
    out[k] = jaeger && Array.isArray(v) ? String(v) : (v as AttrValue);
  }
  return out;
}

function expectTime(actual: bigint, expectedNs: bigint, jaeger: boolean, what: string): void {
  if (!jaeger) {
    expect(actual, what).to.equal(expectedNs);
    return;
  }
  // Jaeger carries microseconds computed in floating point and truncated by node-int64.
  const diff = actual - (expectedNs / 1000n) * 1000n;
  expect(diff >= -2000n && diff <= 2000n, `${what}: ${actual} vs ${expectedNs} (diff ${diff} ns)`).to.equal(true);
  expect(actual % 1000n, `${what} is whole microseconds`).to.equal(0n);
}

/** Field-by-field comparison of what the receiver decoded against what the SDK sent. */
export function expectSpansMatch(received: ReceivedSpan[], sent: ReadableSpan[], protocol: ReceivedSpan['protocol'], opts: ExpectOptions = {}): void {
  const jaeger = !!opts.jaeger;
  expect(received.map((s) => s.spanId).sort()).to.deep.equal(sent.map((s) => s.spanContext().spanId).sort());
  for (const s of sent) {
    const ctx = s.spanContext();
    const r = received.find((x) => x.spanId === ctx.spanId)!;
    const label = `span ${s.name}`;
    expect(r.protocol, label).to.equal(protocol);
    expect(r.traceId, label).to.equal(ctx.traceId);
    expect(r.traceId, label).to.match(/^[0-9a-f]{32}$/);
    expect(r.spanId, label).to.match(/^[0-9a-f]{16}$/);
    expect(r.parentSpanId, label).to.equal(s.parentSpanContext?.spanId ?? '');
    expect(r.traceState, label).to.equal(jaeger ? '' : (ctx.traceState?.serialize() ?? ''));
    expect(r.name, label).to.equal(s.name);
    expect(r.kind, label).to.equal(KIND_NAMES[s.kind]);
    expectTime(r.startTimeUnixNano, ns(s.startTime), jaeger, `${label} start`);
    expectTime(r.endTimeUnixNano, ns(s.endTime), jaeger, `${label} end`);

    const attrs = expectedAttrs(s.attributes, jaeger);
    if (jaeger) {
      // exporter-jaeger copies every resource attribute into the span's tags.
      expect(r.attributes, label).to.deep.equal({ ...attrs, ...expectedAttrs(s.resource.attributes, true) });
    } else {
      expect(r.attributes, label).to.deep.equal(attrs);
    }

    expect(r.events.length, label).to.equal(s.events.length);
    s.events.forEach((e, i) => {
      expect(r.events[i].name, `${label} event ${i}`).to.equal(e.name);
      expect(r.events[i].attributes, `${label} event ${i}`).to.deep.equal(expectedAttrs(e.attributes ?? {}, jaeger));
      expectTime(r.events[i].timeUnixNano, ns(e.time), jaeger, `${label} event ${i} time`);
    });

    expect(r.links, label).to.deep.equal(
      s.links.map((l) => ({
        traceId: l.context.traceId,
        spanId: l.context.spanId,
        attributes: jaeger ? {} : expectedAttrs(l.attributes ?? {}, false),
      })),
    );
    expect(r.status, label).to.deep.equal({
      code: (['UNSET', 'OK', 'ERROR'] as const)[s.status.code],
      message: s.status.message ?? '',
    });
    expect(r.resource['service.name'], label).to.equal(SERVICE_NAME);
    if (!jaeger) expect(r.resource, label).to.deep.equal(expectedAttrs(s.resource.attributes, false));
    if (opts.resource) expect(r.resource, label).to.deep.include(opts.resource);
    expect(r.scope, label).to.deep.equal({ name: SCOPE_NAME, version: SCOPE_VERSION });
  }
}

/** Asserts the sample set's shape independently of the SDK objects (parentage, kinds, the error). */
export function expectSampleShape(received: ReceivedSpan[], sent: Sent): void {
  const byName = new Map(received.map((s) => [s.name, s]));
  const server = byName.get('GET /users/:id')!;
  const client = byName.get('SELECT users')!;
  const internal = byName.get('render')!;
  expect(server.parentSpanId).to.equal('');
  expect(client.parentSpanId).to.equal(server.spanId);
  expect(internal.parentSpanId).to.equal(server.spanId);
  expect(new Set(received.map((s) => s.traceId)).size).to.equal(1);
  expect([server.kind, client.kind, internal.kind]).to.deep.equal(['SERVER', 'CLIENT', 'INTERNAL']);
  expect(server.status).to.deep.equal({ code: 'ERROR', message: 'boom' });
  expect(server.events.map((e) => e.name)).to.deep.equal(['exception']);
  expect(server.events[0].attributes['exception.message']).to.equal('boom');
  expect(server.attributes['http.response.status_code']).to.equal(500);
  expect(server.attributes['test.double']).to.equal(1.25);
  expect(server.attributes['test.bool']).to.equal(true);
  expect(client.attributes['test.int']).to.equal(42);
  expect(server.spanId).to.equal(sent.server.spanContext().spanId);
}

export function payloadsContain(r: Receiver, needle: string): boolean {
  return r.rawPayloads.some((b) => b.includes(needle));
}

/** Polls until cond() or timeout; for things that are not spans (e.g. a hung request arriving). */
export async function until(cond: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** JaegerExporter falls back to OTEL_EXPORTER_JAEGER_* for every falsy option: hide them during a suite. */
export function isolateJaegerEnv(): void {
  const saved: Record<string, string | undefined> = {};
  before(() => {
    for (const k of Object.keys(process.env).filter((k) => k.startsWith('OTEL_EXPORTER_JAEGER_'))) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
  });
  after(() => {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  });
}
