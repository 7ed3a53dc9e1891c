/**
 * The worker's encoders of a snapshot: Prometheus text (OpenMetrics with exemplars, classic without),
 * OTLP protobuf (decoded by the test receiver with opentelemetry-proto's .proto: the witness), and
 * the masking every exporter's data goes through.
 */
import { expect } from 'chai';
import { decodeOtlpMetrics } from '../../helpers/receivers';
import { compileMaskingPolicy } from '../../../src/redact';
import { encodeExportMetricsServiceRequest } from '../../../src/metrics/worker/otlp-metrics-encoding';
import { createSnapshotMasker } from '../../../src/metrics/worker/metrics-host';
import { prometheusName, renderPrometheus, wantsOpenMetrics } from '../../../src/metrics/worker/prometheus-text';
import type { MetricsSnapshot } from '../../../src/metrics/snapshot';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

function snapshot(): MetricsSnapshot {
  return {
    startTimeMs: 1_700_000_000_000,
    timeMs: 1_700_000_060_500,
    metrics: [
      {
        kind: 'histogram',
        name: 'http.server.request.duration',
        description: 'Duration of HTTP server requests.',
        unit: 's',
        scope: '@x/otel-agent',
        bounds: [0.1, 1],
        points: [
          {
            key: 'k',
            attributes: { 'http.request.method': 'GET', 'http.route': '/users/:id', 'http.response.status_code': 200, note: 'a "quoted"\\path\nline' },
            count: 3,
            sum: 1.55,
            min: 0.05,
            max: 1.2,
            bucketCounts: [1, 1, 1],
            exemplars: [null, { traceId: TRACE, spanId: SPAN, value: 0.3, timeMs: 1_700_000_050_123 }, null],
          },
        ],
      },
      {
        kind: 'sum',
        monotonic: false,
        name: 'http.server.active_requests',
        description: 'Active.',
        unit: '{request}',
        scope: '@x/otel-agent',
        points: [{ key: 'a', attributes: { 'url.scheme': 'http' }, value: 2 }],
      },
      {
        kind: 'sum',
        monotonic: true,
        name: 'nodejs.eventloop.time',
        description: 'Time.',
        unit: 's',
        scope: 'runtime',
        points: [{ key: 'b', attributes: {}, value: 4.5 }],
      },
      {
        kind: 'gauge',
        name: 'v8js.memory.heap.used',
        description: 'Heap.',
        unit: 'By',
        scope: 'runtime',
        monotonic: false,
        points: [{ key: 'c', attributes: { 'v8js.heap.space.name': 'new_space' }, value: 1024 }],
      },
    ],
  };
}

describe('metrics: Prometheus exposition', () => {
  it('OpenMetrics: cumulative buckets, the exemplar on its bucket line, units, counters with _total, target info, # EOF', () => {
    const text = renderPrometheus(snapshot(), { 'service.name': 'checkout' }, true);
    const labels = 'http_request_method="GET",http_route="/users/:id",http_response_status_code="200",note="a \\"quoted\\"\\\\path\\nline"';
    expect(text).to.include('# TYPE target info\ntarget_info{service_name="checkout"} 1\n');
    expect(text).to.include('# TYPE http_server_request_duration_seconds histogram\n# UNIT http_server_request_duration_seconds seconds\n');
    expect(text).to.include(`http_server_request_duration_seconds_bucket{${labels},le="0.1"} 1\n`);
    expect(text).to.include(`http_server_request_duration_seconds_bucket{${labels},le="1"} 2 # {trace_id="${TRACE}",span_id="${SPAN}"} 0.3 1700000050.123\n`);
    expect(text).to.include(`http_server_request_duration_seconds_bucket{${labels},le="+Inf"} 3\n`);
    expect(text).to.include(`http_server_request_duration_seconds_count{${labels}} 3\n`);
    expect(text).to.include(`http_server_request_duration_seconds_sum{${labels}} 1.55\n`);
    expect(text).to.include('# TYPE http_server_active_requests gauge\nhttp_server_active_requests{url_scheme="http"} 2\n');
    expect(text).to.include(
      '# TYPE nodejs_eventloop_time_seconds counter\n# UNIT nodejs_eventloop_time_seconds seconds\nnodejs_eventloop_time_seconds_total 4.5\n',
    );
    expect(text).to.include('v8js_memory_heap_used_bytes{v8js_heap_space_name="new_space"} 1024\n');
    expect(text.endsWith('# EOF\n')).to.equal(true);
  });

  it('classic text format: no exemplars, no UNIT, no EOF, counters typed under their _total name', () => {
    const text = renderPrometheus(snapshot(), { 'service.name': 'checkout' }, false);
    expect(text).to.not.include('# {');
    expect(text).to.not.include('# UNIT');
    expect(text).to.not.include('# EOF');
    expect(text).to.include('# TYPE target_info gauge\n');
    expect(text).to.include('# TYPE nodejs_eventloop_time_seconds_total counter\nnodejs_eventloop_time_seconds_total 4.5\n');
  });

  it('names: invalid characters become _, and OpenMetrics is chosen by the Accept header', () => {
    expect(prometheusName('http.server.request.duration')).to.equal('http_server_request_duration');
    expect(prometheusName('9lives-metric')).to.equal('_9lives_metric');
    expect(wantsOpenMetrics('application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5')).to.equal(true);
    expect(wantsOpenMetrics('text/plain')).to.equal(false);
    expect(wantsOpenMetrics(undefined)).to.equal(false);
  });
});

describe('metrics: OTLP encoding (decoded with opentelemetry-proto)', () => {
  it('round-trips histograms with exemplars, sums and gauges, cumulative, with resource and scopes', () => {
    const [request] = decodeOtlpMetrics(encodeExportMetricsServiceRequest(snapshot(), { 'service.name': 'checkout', 'process.pid': 42 }, '1.2.3'), 'otlp-grpc');
    expect(request.resource).to.deep.equal({ 'service.name': 'checkout', 'process.pid': 42 });
    expect(request.scopes).to.deep.equal(['@x/otel-agent', 'runtime']);
    const [histogram, active, time, heap] = request.points;
    expect(histogram).to.deep.include({
      metric: 'http.server.request.duration',
      unit: 's',
      kind: 'histogram',
      temporality: 2,
      count: 3,
      sum: 1.55,
      bucketCounts: [1, 1, 1],
      bounds: [0.1, 1],
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      timeUnixNano: 1_700_000_060_500_000_000n,
    });
    expect(histogram.attributes).to.deep.equal(snapshot().metrics[0].points[0].attributes);
    expect(histogram.exemplars).to.deep.equal([{ traceId: TRACE, spanId: SPAN, value: 0.3, timeUnixNano: 1_700_000_050_123_000_000n }]);
    expect(active).to.deep.include({ metric: 'http.server.active_requests', kind: 'sum', monotonic: false, temporality: 2, value: 2 });
    expect(time).to.deep.include({ kind: 'sum', monotonic: true, value: 4.5 });
    expect(heap).to.deep.include({ kind: 'gauge', value: 1024, attributes: { 'v8js.heap.space.name': 'new_space' } });
  });
});

describe('metrics: masking before every exporter', () => {
  it('attribute values go through the masking policy (user patterns, secrets); routes and methods are unchanged', () => {
    const { policy } = compileMaskingPolicy({ extraPatterns: ['tenant-[0-9]+'] });
    const mask = createSnapshotMasker(policy);
    const input = snapshot();
    const point = input.metrics[0].points[0] as { attributes: Record<string, unknown> };
    point.attributes['server.address'] = 'tenant-42.example.com';
    point.attributes['note'] = 'contact jane.doe@example.com';
    const masked = mask(input).metrics[0].points[0].attributes;
    expect(masked['server.address']).to.not.include('tenant-42');
    expect(masked['note']).to.not.include('jane.doe@example.com');
    expect(masked['http.route']).to.equal('/users/:id');
    expect(masked['http.request.method']).to.equal('GET');
    // The input is not changed.
    expect(point.attributes['server.address']).to.equal('tenant-42.example.com');
  });
});
