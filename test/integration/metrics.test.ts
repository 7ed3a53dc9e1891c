/**
 * Issue 14: HTTP metrics for every request, with exemplars that open a trace that exists.
 * A real Prometheus (Debian's, started here on loopback, exemplar storage on, 1 s scrapes) scrapes a
 * real app under the agent at 10% sampling; OTLP metrics (gRPC and HTTP/protobuf) are decoded by the
 * test receiver with opentelemetry-proto's own .proto files.
 */
import { expect } from 'chai';
import { getJson, runApp, startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver, startOtlpMetricsGrpcReceiver, startOtlpMetricsHttpReceiver } from '../helpers/receivers';
import type { Receiver, ReceivedMetricPoint, ReceivedMetricsRequest } from '../helpers/receivers';
import { freePort, requireOrSkip, startPrometheus } from '../helpers/services';
import { refusedPort } from '../helpers/refused-port';
import type { RunningPrometheus } from '../helpers/services';

const SEMCONV_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

async function send(port: number, paths: string[]): Promise<void> {
  for (const path of paths) await getJson(`http://127.0.0.1:${port}${path}`);
}

const repeat = (count: number, make: (i: number) => string) => Array.from({ length: count }, (_, i) => make(i));

/** Polls `read` until `done` holds for its value, then returns it; fails with the last value after `timeoutMs`. */
async function eventually<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(last)} after ${timeoutMs} ms${lastError ? ` (${String(lastError)})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

async function scalar(prometheus: RunningPrometheus, query: string): Promise<number | undefined> {
  const data = await prometheus.api<{ result: VectorSample[] }>('query', { query });
  return data.result.length === 0 ? undefined : Number(data.result[0].value[1]);
}

interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

function durationPoints(requests: ReceivedMetricsRequest[], metric: string): ReceivedMetricPoint[] {
  // Cumulative: the newest request has the totals.
  const last = [...requests].reverse().find((request) => request.points.some((point) => point.metric === metric));
  return last?.points.filter((point) => point.metric === metric) ?? [];
}

const countOf = (points: ReceivedMetricPoint[], match: (point: ReceivedMetricPoint) => boolean) =>
  points.filter(match).reduce((total, point) => total + (point.count ?? 0), 0);

describe('metrics with exemplars (integration)', function () {
  this.timeout(120_000);
  let receiver: Receiver | undefined;
  const apps: RunningApp[] = [];

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
    await receiver?.close();
    receiver = undefined;
  });

  it('Prometheus scrapes counts equal to the requests sent at 10% sampling, error counts, and exemplars whose traces were exported', async function () {
    let prometheus: RunningPrometheus | undefined;
    const metricsPort = await freePort();
    try {
      prometheus = await startPrometheus([`127.0.0.1:${metricsPort}`]);
    } catch (err) {
      requireOrSkip(this, err);
    }
    try {
      receiver = await startOtlpGrpcReceiver();
      const downstream = startApp(fixture('express5-app.js'), { agent: 'none' });
      const app = startApp(fixture('express5-app.js'), {
        env: {
          TRACING_ENDPOINT: receiver.url,
          TRACING_SAMPLE_RATE: '0.1',
          TRACING_SCHEDULE_DELAY_MS: '200',
          TRACING_METRICS: 'prometheus',
          TRACING_PROMETHEUS_HOST: '127.0.0.1',
          TRACING_PROMETHEUS_PORT: String(metricsPort),
        },
      });
      apps.push(app, downstream);
      const [port, downstreamPort] = await Promise.all([app.port(), downstream.port()]);
      await send(port, [
        ...repeat(100, (i) => `/users/${i}`),
        ...repeat(10, () => '/fail'),
        ...repeat(5, () => `/chain?target=http://127.0.0.1:${downstreamPort}`),
      ]);

      // Each query is polled on its own: the newest scrape may predate the last requests sent.
      const settled = (query: string, expected: number) =>
        eventually(
          query,
          () => scalar(prometheus, query),
          (value) => value === expected,
        ).catch(async (err: Error) => {
          const health = await prometheus.targetHealth().catch((healthErr: unknown) => String(healthErr));
          throw new Error(`${err.message}; scrape targets: ${health}`);
        });
      expect(await settled('sum(http_server_request_duration_seconds_count{http_route="/users/:id",http_response_status_code="200"})', 100)).to.equal(100);
      expect(await settled('sum(http_server_request_duration_seconds_count{error_type="500",http_route="/fail"})', 10)).to.equal(10);
      expect(await settled('sum(http_server_request_duration_seconds_count{http_route="/chain"})', 5)).to.equal(5);
      // Each /chain makes one fetch and one http.get to the downstream app.
      expect(
        await settled(
          `sum(http_client_request_duration_seconds_count{server_address="127.0.0.1",server_port="${downstreamPort}",http_response_status_code="200"})`,
          10,
        ),
      ).to.equal(10);
      // And nothing else was counted (the series sum is exactly what was sent).
      expect(await settled('sum(http_server_request_duration_seconds_count)', 115)).to.equal(115);
      const median = await scalar(prometheus, 'histogram_quantile(0.5, sum by (le) (http_server_request_duration_seconds_bucket{http_route="/users/:id"}))');
      expect(median).to.be.a('number').within(0, 10);
      // No series carries a raw path (the route is the template), and no trace_id label exists.
      const labelNames = await prometheus.api<string[]>('labels', { 'match[]': 'http_server_request_duration_seconds_bucket' });
      expect(labelNames).to.not.include.members(['url_path', 'trace_id', 'http_target']);

      const now = Date.now() / 1000;
      const series = await eventually(
        'exemplars for /users/:id and /fail',
        () =>
          prometheus.api<ExemplarSeries[]>('query_exemplars', {
            query: 'http_server_request_duration_seconds_bucket',
            start: String(now - 600),
            end: String(now + 60),
          }),
        (result) => ['/users/:id', '/fail'].every((route) => result.some((s) => s.seriesLabels.http_route === route && s.exemplars.length > 0)),
      );
      const exemplarTraceIds = new Set(series.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id)));
      for (const s of series) {
        for (const e of s.exemplars) {
          expect(e.labels.trace_id).to.match(/^[0-9a-f]{32}$/);
          expect(e.labels.span_id).to.match(/^[0-9a-f]{16}$/);
          // The exemplar's value falls into its bucket.
          if (s.seriesLabels.le !== '+Inf') expect(Number(e.value)).to.be.at.most(Number(s.seriesLabels.le));
        }
      }
      // 10% of 100 plus the kept errors: far fewer traces than requests, and every exemplar names one of them.
      const spans = await receiver.waitForSpans((received) => [...exemplarTraceIds].every((id) => received.some((span) => span.traceId === id)), 20_000);
      const exportedTraces = new Set(spans.map((span) => span.traceId));
      expect(exportedTraces.size).to.be.lessThan(80);
      for (const id of exemplarTraceIds) expect(exportedTraces.has(id), `exemplar trace ${id} was exported`).to.equal(true);
      // The scrapes themselves are served by the export worker: they never become spans.
      expect(spans.filter((span) => String(span.attributes['server.port'] ?? '') === String(metricsPort))).to.deep.equal([]);

      // Scrapers that do not ask for OpenMetrics get the classic text format, without exemplars.
      const classic = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      const classicText = await classic.text();
      expect(classic.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      expect(classicText).to.include('http_server_request_duration_seconds_bucket{');
      expect(classicText).to.not.include('# {trace_id=');
      expect(classicText).to.not.include('# EOF');
      const openMetrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      expect(openMetrics.headers.get('content-type')).to.match(/^application\/openmetrics-text/);
      expect(await openMetrics.text()).to.match(/_bucket\{[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\} [0-9.e-]+ \d+\.\d{3}\n/);
      // Runtime metrics from instrumentation-runtime-node.
      expect(classicText).to.match(/^v8js_memory_heap_used_bytes\{/m);
    } finally {
      await prometheus?.stop();
    }
  });

  it('OTLP gRPC: the final export at exit carries every request, exemplars with the trace and span id of exported server spans', async () => {
    receiver = await startOtlpGrpcReceiver();
    const metrics = await startOtlpMetricsGrpcReceiver();
    try {
      const app = startApp(fixture('express5-app.js'), {
        env: {
          TRACING_ENDPOINT: receiver.url,
          TRACING_METRICS: 'otlp',
          TRACING_METRICS_ENDPOINT: metrics.url,
          // Longer than the test: only the export at exit can deliver.
          TRACING_METRICS_INTERVAL_MS: '600000',
        },
      });
      const port = await app.port();
      await send(port, [...repeat(20, (i) => `/users/${i}`), ...repeat(3, () => '/fail')]);
      const exit = await app.stop('SIGTERM');
      expect(exit.code, app.stderr).to.equal(0);
      const requests = await metrics.waitFor(
        (r) => countOf(durationPoints(r, 'http.server.request.duration'), () => true) === 23,
        20_000,
        '23 server requests',
      );
      const points = durationPoints(requests, 'http.server.request.duration');
      expect(countOf(points, (p) => p.attributes['http.route'] === '/users/:id' && p.attributes['http.response.status_code'] === 200)).to.equal(20);
      expect(countOf(points, (p) => p.attributes['error.type'] === '500')).to.equal(3);
      for (const point of points) {
        expect(point.unit).to.equal('s');
        expect(point.temporality).to.equal(2); // cumulative
        expect(point.bounds).to.deep.equal(SEMCONV_BOUNDS);
        expect(point.bucketCounts!.reduce((a, b) => a + b, 0)).to.equal(point.count);
        expect(point.attributes).to.include.keys('http.request.method', 'url.scheme', 'network.protocol.version');
      }
      const exemplars = points.flatMap((point) => point.exemplars);
      expect(exemplars.length).to.be.greaterThan(0);
      const spans = await receiver.waitForSpans(23);
      for (const exemplar of exemplars) {
        const span = spans.find((s) => s.traceId === exemplar.traceId && s.spanId === exemplar.spanId);
        expect(span, `the exemplar's span ${exemplar.traceId}/${exemplar.spanId} was exported`).to.not.equal(undefined);
        expect(span!.kind).to.equal('SERVER');
      }
      const last = requests[requests.length - 1];
      expect(last.resource['service.name']).to.be.a('string');
      expect(last.points.some((point) => point.metric === 'http.server.active_requests')).to.equal(true);
    } finally {
      await metrics.close();
    }
  });

  it('OTLP HTTP/protobuf from the OTEL_* variables, exported every OTEL_METRIC_EXPORT_INTERVAL with OTEL_EXPORTER_OTLP_METRICS_HEADERS', async () => {
    const metrics = await startOtlpMetricsHttpReceiver();
    try {
      const app = startApp(fixture('express5-app.js'), {
        env: {
          TRACING_EXPORTER: 'none',
          OTEL_METRICS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: metrics.url,
          OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-tenant=acme',
          OTEL_METRIC_EXPORT_INTERVAL: '300',
        },
      });
      apps.push(app);
      const port = await app.port();
      await send(
        port,
        repeat(5, (i) => `/users/${i}`),
      );
      // While the app runs: the periodic export, not the one at exit.
      const requests = await metrics.waitFor((r) => countOf(durationPoints(r, 'http.server.request.duration'), () => true) === 5, 20_000, '5 server requests');
      expect(requests[requests.length - 1].headers['x-tenant']).to.equal('acme');
      expect(requests[requests.length - 1].points.some((point) => point.metric === 'v8js.memory.heap.used')).to.equal(true);
      // No span exporter: no trace exists to open, so no exemplar.
      expect(durationPoints(requests, 'http.server.request.duration').flatMap((point) => point.exemplars)).to.deep.equal([]);
    } finally {
      await metrics.close();
    }
  });

  it('client requests (node:http and fetch), failures by error code, in the export at the end of a short script', async () => {
    const metrics = await startOtlpMetricsGrpcReceiver();
    const server = startApp(fixture('express5-app.js'), { agent: 'none' });
    apps.push(server);
    try {
      const live = `http://127.0.0.1:${await server.port()}`;
      const refused = `http://127.0.0.1:${await refusedPort()}`;
      const run = await runApp(fixture('metrics-client-script.js'), {
        env: { TRACING_EXPORTER: 'none', TRACING_METRICS: 'otlp', TRACING_METRICS_ENDPOINT: metrics.url },
        args: [live, refused],
      });
      expect(run.code, run.stderr).to.equal(0);
      const requests = await metrics.waitFor((r) => countOf(durationPoints(r, 'http.client.request.duration'), () => true) === 4, 20_000, '4 client requests');
      const points = durationPoints(requests, 'http.client.request.duration');
      const livePort = Number(new URL(live).port);
      expect(
        countOf(
          points,
          (p) =>
            p.attributes['server.port'] === livePort && p.attributes['http.response.status_code'] === 200 && p.attributes['server.address'] === '127.0.0.1',
        ),
      ).to.equal(2);
      expect(countOf(points, (p) => p.attributes['error.type'] === 'ECONNREFUSED')).to.equal(2);
      expect(countOf(points, (p) => p.attributes['network.protocol.version'] === '1.1')).to.equal(1); // node:http's response says it
      for (const point of points) expect(point.attributes).to.include({ 'http.request.method': 'GET', 'url.scheme': 'http' });
    } finally {
      await metrics.close();
    }
  });

  it('metrics off (the default) load no metrics module and subscribe to no channel; on, they do', async () => {
    const off = await runApp(fixture('metrics-modules-app.js'), { env: { TRACING_EXPORTER: 'none' } });
    expect(off.code, off.stderr).to.equal(0);
    expect(JSON.parse(off.stdout.trim())).to.deep.equal({ otelMetricsModules: 0, diagnosticsChannelSubscribers: false });
    const on = await runApp(fixture('metrics-modules-app.js'), { env: { TRACING_EXPORTER: 'none', TRACING_METRICS: 'console' } });
    expect(on.code, on.stderr).to.equal(0);
    const report = JSON.parse(on.stdout.split('\n')[0]);
    expect(report.otelMetricsModules).to.be.greaterThan(0);
    expect(report.diagnosticsChannelSubscribers).to.equal(true);
  });
});
