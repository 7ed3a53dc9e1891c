/**
 * Push exporters of metrics snapshots, in the export worker: OTLP over gRPC and over HTTP/protobuf
 * (our encoder, with exemplars), and console (one JSON line per export on stdout).
 *
 * gRPC goes through @grpc/grpc-js's generic client with identity (de)serializers: the request bytes
 * are already encoded, so no generated stubs or proto loading are needed. TLS, headers and
 * compression settings are the spans' (TRACING_CA_FILE, client certificate, OTEL_EXPORTER_OTLP_COMPRESSION),
 * headers the metrics' own (TRACING_METRICS_HEADERS, defaulting to TRACING_HEADERS).
 */
import { readFileSync } from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as zlib from 'zlib';
import type { AgentConfig, MetricsExporterName } from '../../config/types';
import { writeAllSync } from '../../write-all-sync';
import type { MetricAttributes, MetricsSnapshot } from '../snapshot';
import { encodeExportMetricsServiceRequest } from './otlp-metrics-encoding';

export interface MetricsPushExporter {
  readonly name: MetricsExporterName;
  readonly destination: string;
  /** Resolves when the collector accepted it; rejects with why not. */
  export(snapshot: MetricsSnapshot, resourceAttributes: MetricAttributes, timeoutMs: number): Promise<void>;
  shutdown(): void;
}

const GRPC_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const DEFAULT_GRPC_ENDPOINT = 'http://localhost:4317';
const DEFAULT_HTTP_ENDPOINT = 'http://localhost:4318/v1/metrics';

function agentVersion(): string {
  return (require('../../../../package.json') as { version: string }).version;
}

function tlsFiles(config: AgentConfig): { ca?: Buffer; key?: Buffer; cert?: Buffer } {
  return {
    ca: config.caFile !== undefined ? readFileSync(config.caFile) : undefined,
    key: config.clientKeyFile !== undefined && config.clientCertFile !== undefined ? readFileSync(config.clientKeyFile) : undefined,
    cert: config.clientKeyFile !== undefined && config.clientCertFile !== undefined ? readFileSync(config.clientCertFile) : undefined,
  };
}

function grpcExporter(config: AgentConfig): MetricsPushExporter {
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const url = new URL(config.metricsEndpoint ?? DEFAULT_GRPC_ENDPOINT);
  const tls = tlsFiles(config);
  const credentials =
    url.protocol === 'https:' ? grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null) : grpc.credentials.createInsecure();
  const options: Record<string, number> = config.otlpCompression === 'gzip' ? { 'grpc.default_compression_algorithm': 2 } : {};
  const client = new grpc.Client(url.host, credentials, options);
  const version = agentVersion();
  return {
    name: 'otlp',
    destination: url.host,
    export(snapshot, resourceAttributes, timeoutMs) {
      const body = encodeExportMetricsServiceRequest(snapshot, resourceAttributes, version);
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(config.metricsHeaders)) metadata.set(key, value);
      return new Promise<void>((resolve, reject) => {
        client.makeUnaryRequest(
          GRPC_EXPORT_PATH,
          (request: Buffer) => request,
          (response: Buffer) => response,
          body,
          metadata,
          { deadline: Date.now() + timeoutMs },
          (err) => (err ? reject(err) : resolve()),
        );
      });
    },
    shutdown() {
      client.close();
    },
  };
}

function httpExporter(config: AgentConfig): MetricsPushExporter {
  const url = new URL(config.metricsEndpoint ?? DEFAULT_HTTP_ENDPOINT);
  const transport = url.protocol === 'https:' ? https : http;
  const tls = url.protocol === 'https:' ? tlsFiles(config) : {};
  const agent = new transport.Agent({ keepAlive: true, ...tls });
  const version = agentVersion();
  return {
    name: 'otlp-http',
    destination: url.href,
    export(snapshot, resourceAttributes, timeoutMs) {
      let body = encodeExportMetricsServiceRequest(snapshot, resourceAttributes, version);
      const headers: Record<string, string> = { ...config.metricsHeaders, 'Content-Type': 'application/x-protobuf', 'User-Agent': `otel-agent/${version}` };
      if (config.otlpCompression === 'gzip') {
        body = zlib.gzipSync(body);
        headers['Content-Encoding'] = 'gzip';
      }
      headers['Content-Length'] = String(body.length);
      return new Promise<void>((resolve, reject) => {
        const request = transport.request(url, { method: 'POST', headers, agent, timeout: timeoutMs }, (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`HTTP ${status}`));
          });
        });
        request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        request.on('error', reject);
        request.end(body);
      });
    },
    shutdown() {
      agent.destroy();
    },
  };
}

function consoleExporter(): MetricsPushExporter {
  return {
    name: 'console',
    destination: 'stdout',
    export(snapshot, resourceAttributes) {
      writeAllSync(1, `${JSON.stringify({ resource: resourceAttributes, ...snapshot })}\n`);
      return Promise.resolve();
    },
    shutdown() {},
  };
}

export function createMetricsPushExporters(config: AgentConfig, onError: (name: string, err: unknown) => void): MetricsPushExporter[] {
  const exporters: MetricsPushExporter[] = [];
  for (const name of config.metricsExporters) {
    try {
      if (name === 'otlp') exporters.push(grpcExporter(config));
      else if (name === 'otlp-http') exporters.push(httpExporter(config));
      else if (name === 'console') exporters.push(consoleExporter());
    } catch (err) {
      onError(name, err);
    }
  }
  return exporters;
}
