/**
 * The file exporter writes OTLP/JSON, one ExportTraceServiceRequest per line: decodable by the test
 * receivers' OTLP/JSON decoder (as a Collector's otlpjsonfile receiver would read it), and read by
 * `otel-agent report` into the same report as the per-span lines of earlier releases.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { OtlpJsonFileExporter } from '../../../src/sdk/otlp-json-file-exporter';
import { JsonLinesExporter } from '../../../src/sdk/json-lines-exporter';
import { buildReport } from '../../../src/report/build-report';
import { decodeOtlpJson } from '../../helpers/receivers/otlp-decode';
import { TempDir } from '../report/spans';

function recordSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop', 'deployment.environment.name': 'test' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const tracer = provider.getTracer('unit', '1.2.3');
  for (const id of [1, 2]) {
    const server = tracer.startSpan('GET /orders/:id', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/orders/:id', 'http.response.status_code': id === 2 ? 500 : 200 },
    });
    const client = tracer.startSpan(
      'SELECT',
      { kind: SpanKind.CLIENT, attributes: { 'server.address': 'db', 'db.query.text': 'SELECT 1\nFROM t' } },
      trace.setSpan(context.active(), server),
    );
    client.end();
    if (id === 2) {
      server.recordException(new TypeError('no such order'));
      server.setStatus({ code: SpanStatusCode.ERROR, message: 'no such order' });
    }
    server.end();
  }
  return memory.getFinishedSpans();
}

function exportTo(exporter: { export(spans: ReadableSpan[], cb: (r: ExportResult) => void): void }, spans: ReadableSpan[]): void {
  let result: ExportResult | undefined;
  exporter.export(spans, (r) => (result = r));
  expect(result?.code, String(result?.error)).to.equal(ExportResultCode.SUCCESS);
}

/**
 * The report with its times set aside (returned in order) and durations to the nanosecond. The old
 * lines rounded times through a double (up to 128 ns off today), so times are compared with a tolerance.
 */
function withoutTimes(value: unknown): { report: unknown; times: number[] } {
  const times: number[] = [];
  const report = JSON.parse(
    JSON.stringify(value, (key, field) => {
      if (key.endsWith('UnixNano') && typeof field === 'string') {
        times.push(Number(field));
        return '<time>';
      }
      if (key.endsWith('Ms') && typeof field === 'number') return Math.round(field * 1e6);
      return field;
    }),
  );
  return { report, times };
}

describe('OtlpJsonFileExporter (TRACING_EXPORTER=file)', () => {
  let dir: TempDir;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => dir.remove());

  it('appends one OTLP/JSON ExportTraceServiceRequest per batch, one line each, that the OTLP/JSON decoder reads back', async () => {
    const spans = recordSpans();
    const file = path.join(dir.root, 'traces.jsonl');
    const exporter = new OtlpJsonFileExporter(file);
    exportTo(exporter, spans.slice(0, 2));
    exportTo(exporter, spans.slice(2));
    exportTo(exporter, []);
    await exporter.shutdown();

    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).to.equal('');
    expect(lines).to.have.length(2);
    for (const line of lines) expect(Object.keys(JSON.parse(line))).to.deep.equal(['resourceSpans']);
    const decoded = lines.flatMap((line) => decodeOtlpJson(line, 'otlp-http'));
    expect(decoded.map((span) => `${span.kind} ${span.name}`)).to.deep.equal(spans.map((span) => `${SpanKind[span.kind]} ${span.name}`));
    for (const [index, span] of decoded.entries()) {
      const original = spans[index];
      expect(span.traceId).to.equal(original.spanContext().traceId);
      expect(span.spanId).to.equal(original.spanContext().spanId);
      expect(span.parentSpanId).to.equal(original.parentSpanContext?.spanId ?? '');
      expect(span.resource).to.deep.equal({ 'service.name': 'shop', 'deployment.environment.name': 'test' });
      expect(span.scope).to.deep.equal({ name: 'unit', version: '1.2.3' });
    }
    expect(decoded.find((span) => span.name === 'SELECT')?.attributes['db.query.text']).to.equal('SELECT 1\nFROM t');
    const failing = decoded.find((span) => span.status.code === 'ERROR');
    expect(failing?.attributes['http.response.status_code']).to.equal(500);
    expect(failing?.events.map((event) => event.attributes['exception.type'])).to.deep.equal(['TypeError']);
  });

  it('the report of the OTLP file equals the report of the same spans as per-span lines (the format before)', async () => {
    const spans = recordSpans();
    const otlpFile = path.join(dir.root, 'otlp.jsonl');
    const legacyFile = path.join(dir.root, 'legacy.jsonl');
    const otlp = new OtlpJsonFileExporter(otlpFile);
    const legacy = new JsonLinesExporter(legacyFile);
    for (const batch of [spans.slice(0, 3), spans.slice(3)]) {
      exportTo(otlp, batch);
      exportTo(legacy, batch);
    }
    await otlp.shutdown();
    await legacy.shutdown();

    const traceId = spans[spans.length - 1].spanContext().traceId;
    const fromOtlp = await buildReport([otlpFile], { traceId });
    const fromLegacy = await buildReport([legacyFile], { traceId });
    expect(fromOtlp.input).to.deep.include({ lines: 2, spans: 4, badLines: 0 });
    expect(fromLegacy.input).to.deep.include({ lines: 4, spans: 4, badLines: 0 });
    const { input: _a, ...otlpReport } = fromOtlp;
    const { input: _b, ...legacyReport } = fromLegacy;
    const otlpView = withoutTimes(otlpReport);
    const legacyView = withoutTimes(legacyReport);
    expect(otlpView.report).to.deep.equal(legacyView.report);
    expect(otlpView.times).to.have.length(legacyView.times.length);
    otlpView.times.forEach((time, index) => expect(Math.abs(time - legacyView.times[index])).to.be.below(1000));
    // The old lines rounded times through a double (hrTimeToNanoseconds returns a number); OTLP's are exact.
    const exactStart = String(BigInt(spans[0].startTime[0]) * 1_000_000_000n + BigInt(spans[0].startTime[1]));
    expect(fromOtlp.slowest.flatMap((tree) => tree.spans.map((span) => span.startTimeUnixNano))).to.include(exactStart);
    expect(fromOtlp.errors.total).to.equal(1);
  });
});
