/**
 * `otel-agent report` on OTLP/JSON: a file in the OpenTelemetry Collector file exporter's shape
 * (test/fixtures/report/collector-file-exporter.jsonl, written by hand: hex ids, decimal-string nanos,
 * int64 attributes as strings, `kind` and status `code` as numbers, defaults left out), and files
 * that mix it with the per-span lines of earlier releases.
 */
import * as fs from 'fs';
import { expect } from 'chai';
import { buildReport } from '../../../src/report/build-report';
import { forEachSpanOfLine, lineMentionsTrace, peekEndTimeMs } from '../../../src/report/read-spans';
import type { JsonSpan } from '../../../src/sdk/json-lines-exporter';
import { fixture } from '../../helpers/paths';
import { lineOf, spanIdOf, TempDir } from './spans';

const COLLECTOR_FILE = fixture('report/collector-file-exporter.jsonl');
const FAILING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OK_TRACE = '0af7651916cd43dd8448eb211c80319c';

function spansOf(line: string): { spans: JsonSpan[]; ok: boolean } {
  const spans: JsonSpan[] = [];
  const ok = forEachSpanOfLine(line, (span) => spans.push(span));
  return { spans, ok };
}

describe('report input: OTLP/JSON lines', () => {
  let dir: TempDir;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => dir.remove());

  it('emits every span of a Collector line, with its resource, kind, status, int64 and nested values', () => {
    const [frontendLine] = fs.readFileSync(COLLECTOR_FILE, 'utf8').split('\n');
    const { spans, ok } = spansOf(frontendLine);
    expect(ok).to.equal(true);
    expect(spans.map((span) => [span.spanId, span.kind, span.parentSpanId, span.status.code])).to.deep.equal([
      ['00f067aa0ba902b7', 'SERVER', '', 'ERROR'],
      ['1111111111111111', 'CLIENT', '00f067aa0ba902b7', 'ERROR'],
      ['3333333333333333', 'SERVER', '', 'UNSET'],
    ]);
    const [root, , okRoot] = spans;
    expect(root.resource).to.deep.equal({ 'service.name': 'frontend', 'process.pid': 4242 });
    expect(root.scope).to.deep.equal({ name: '@opentelemetry/instrumentation-http', version: '0.222.0' });
    expect(root.attributes).to.deep.equal({ 'http.route': '/checkout', 'http.response.status_code': 502 });
    expect(root.status).to.deep.equal({ code: 'ERROR', message: 'card declined' });
    // 120 ms and 1 ns, exactly: the nanoseconds are subtracted without rounding through a double.
    expect(root.durationMs).to.equal(120.000001);
    expect(okRoot.attributes).to.deep.equal({
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
      'otel_agent.ratio': 0.5,
      'http.request.header.accept': ['application/json'],
    });
  });

  it('builds the report of a Collector file: routes, the error trace across services, the edge, the tree', async () => {
    const report = await buildReport([COLLECTOR_FILE], { traceId: FAILING_TRACE });
    expect(report.input).to.deep.include({ lines: 2, spans: 4, badLines: 0 });
    expect(report.latency.map((row) => [row.service, row.operation, row.count, row.errorCount])).to.deep.equal([
      ['frontend', '/checkout', 1, 1],
      ['backend', '/pay', 1, 1],
      ['frontend', '/orders/:id', 1, 0],
    ]);
    expect(report.errors.total).to.equal(1);
    expect(report.errors.traces[0]).to.deep.include({
      traceId: FAILING_TRACE,
      service: 'frontend',
      operation: '/checkout',
      statusCode: 502,
      exceptionType: 'Error',
      exceptionMessage: 'card declined',
      errorSpanCount: 3,
    });
    expect(report.graph.edges).to.deep.equal([{ from: 'frontend', to: 'backend', calls: 1, errors: 1, uninstrumented: false }]);
    expect(report.trace?.spans.map((span) => `${span.service} ${span.kind} ${span.name}`)).to.deep.equal([
      'frontend SERVER GET /checkout',
      'frontend CLIENT POST',
      'backend SERVER POST /pay',
    ]);
    expect(report.slowest.map((tree) => tree.traceId)).to.deep.equal([FAILING_TRACE, OK_TRACE]);
  });

  it('reads a file mixing OTLP lines and per-span lines, gzipped, telling each line apart', async () => {
    const otlp = fs.readFileSync(COLLECTOR_FILE, 'utf8').trim().split('\n');
    // A later span of the failing trace, in the old per-span format (an agent upgraded mid-file).
    const legacy = lineOf({
      traceId: FAILING_TRACE,
      spanId: spanIdOf(0x44),
      parentSpanId: '2222222222222222',
      service: 'backend',
      kind: 'CLIENT',
      name: 'SELECT',
    });
    const file = dir.write('mixed.jsonl.gz', [otlp[0], legacy, '{"resourceSpans":"not a list"}', otlp[1], '{"neither":1}'], { gzip: true });
    const report = await buildReport([file], { traceId: FAILING_TRACE });
    expect(report.input).to.deep.include({ lines: 5, spans: 5, badLines: 2 });
    expect(report.trace?.spans.map((span) => span.spanId).sort()).to.deep.equal(
      ['00f067aa0ba902b7', '1111111111111111', '2222222222222222', spanIdOf(0x44)].sort(),
    );
    expect(report.errors.traces.map((trace) => trace.errorSpanCount)).to.deep.equal([3]);
  });

  it('an OTLP line with an unreadable span is a bad line whose other spans still count', () => {
    const line = JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [
            {
              scope: { name: 's' },
              spans: [
                { traceId: FAILING_TRACE, spanId: 'aa', name: 'x', kind: 1, startTimeUnixNano: '5', endTimeUnixNano: '7' },
                { traceId: FAILING_TRACE, name: 'no span id', kind: 1, startTimeUnixNano: '5', endTimeUnixNano: '7' },
                { traceId: FAILING_TRACE, spanId: 'bb', name: 'no end', kind: 1, startTimeUnixNano: '5' },
              ],
            },
          ],
        },
      ],
    });
    const { spans, ok } = spansOf(line);
    expect(ok).to.equal(false);
    expect(spans.map((span) => [span.spanId, span.kind, span.resource['service.name']])).to.deep.equal([['aa', 'INTERNAL', undefined]]);
    expect(spansOf('{"resourceSpans":[]}')).to.deep.equal({ spans: [], ok: true });
  });

  it('peeks at every trace id and the newest end time of an OTLP line without parsing it', () => {
    const [frontendLine] = fs.readFileSync(COLLECTOR_FILE, 'utf8').split('\n');
    expect(lineMentionsTrace(frontendLine, (id) => id === OK_TRACE)).to.equal(true);
    expect(lineMentionsTrace(frontendLine, (id) => id === '0'.repeat(31) + '1')).to.equal(false);
    expect(peekEndTimeMs(frontendLine)).to.equal(Number('1764590001030000000') / 1e6);
  });
});
