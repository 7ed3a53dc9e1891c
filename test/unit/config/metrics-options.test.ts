/** The metrics rows of the config table: TRACING_METRICS, the OTEL_* fallbacks, derived endpoints and headers. */
import { expect } from 'chai';
import { loadConfig } from '../../../src/config/load-config';

const load = (env: Record<string, string>) => loadConfig({ env });

describe('config: metrics options', () => {
  it('off by default; TRACING_METRICS takes our names (otlp is gRPC) and false', () => {
    expect(load({}).config.metricsExporters).to.deep.equal(['none']);
    expect(load({ TRACING_METRICS: 'prometheus,otlp' }).config.metricsExporters).to.deep.equal(['prometheus', 'otlp']);
    expect(load({ TRACING_METRICS: 'otlp-http' }).config.metricsExporters).to.deep.equal(['otlp-http']);
    expect(load({ TRACING_METRICS: 'false' }).config.metricsExporters).to.deep.equal(['none']);
    const { config, sources } = load({ TRACING_METRICS: 'otlp', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/protobuf' });
    expect(config.metricsExporters).to.deep.equal(['otlp-http']);
    expect(sources.metricsExporters).to.equal('TRACING_METRICS');
  });

  it("OTEL_METRICS_EXPORTER: otlp follows the metrics protocol, else upstream's http/protobuf; TRACING_METRICS wins", () => {
    expect(load({ OTEL_METRICS_EXPORTER: 'otlp' }).config.metricsExporters).to.deep.equal(['otlp-http']);
    expect(load({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc' }).config.metricsExporters).to.deep.equal(['otlp']);
    expect(load({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).config.metricsExporters).to.deep.equal(['otlp']);
    expect(load({ OTEL_METRICS_EXPORTER: 'prometheus,console' }).config.metricsExporters).to.deep.equal(['prometheus', 'console']);
    expect(load({ OTEL_METRICS_EXPORTER: 'otlp', TRACING_METRICS: 'prometheus' }).config.metricsExporters).to.deep.equal(['prometheus']);
  });

  it('a bad value is one problem line and the default (off)', () => {
    const { config, problems } = load({ TRACING_METRICS: 'prometeus' });
    expect(config.metricsExporters).to.deep.equal(['none']);
    expect(problems).to.have.lengthOf(1);
    expect(problems[0]).to.include('TRACING_METRICS').and.include('prometeus');
    const interval = load({ OTEL_METRIC_EXPORT_INTERVAL: 'soon' });
    expect(interval.problems).to.have.lengthOf(1);
    expect(interval.config.metricsExportIntervalMs).to.equal(60000);
  });

  it("endpoint: the metrics variables, the shared base URL with /v1/metrics for HTTP, else the spans' endpoint of the same protocol", () => {
    expect(load({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).config.metricsEndpoint).to.equal(
      'http://collector:4318/v1/metrics',
    );
    expect(load({ OTEL_METRICS_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:9/custom' }).config.metricsEndpoint).to.equal(
      'http://m:9/custom',
    );
    expect(load({ TRACING_METRICS: 'otlp', TRACING_ENDPOINT: 'http://collector:4317' }).config.metricsEndpoint).to.equal('http://collector:4317');
    expect(load({ TRACING_METRICS: 'otlp-http', TRACING_EXPORTER: 'otlp-http', TRACING_ENDPOINT: 'http://c:4318/v1/traces' }).config.metricsEndpoint).to.equal(
      'http://c:4318/v1/metrics',
    );
    // A gRPC traces endpoint is not used for HTTP metrics.
    expect(load({ TRACING_METRICS: 'otlp-http', TRACING_ENDPOINT: 'http://collector:4317' }).config.metricsEndpoint).to.equal(undefined);
    // Prometheus alone reads no OTLP endpoint variable.
    expect(load({ TRACING_METRICS: 'prometheus', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://m:9' }).config.metricsEndpoint).to.equal(undefined);
  });

  it('headers default to TRACING_HEADERS; Prometheus host and port and the interval from OTEL_* too', () => {
    expect(load({ TRACING_HEADERS: 'a=1' }).config.metricsHeaders).to.deep.equal({ a: '1' });
    expect(load({ TRACING_HEADERS: 'a=1', OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'b=2' }).config.metricsHeaders).to.deep.equal({ b: '2' });
    const { config } = load({ OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1', OTEL_EXPORTER_PROMETHEUS_PORT: '9999', OTEL_METRIC_EXPORT_INTERVAL: '5000' });
    expect(config).to.deep.include({ prometheusHost: '127.0.0.1', prometheusPort: 9999, metricsExportIntervalMs: 5000 });
    expect(load({}).config).to.deep.include({ prometheusHost: '0.0.0.0', prometheusPort: 9464, runtimeMetrics: true });
  });
});
