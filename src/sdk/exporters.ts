/**
 * Builds the configured span exporters, inside the export worker only. Each exporter module is
 * required only when named in TRACING_EXPORTER (the gRPC exporter alone loads ~330 modules).
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { createRequire } from 'module';
import { readFileSync } from 'fs';
import type { AgentConfig, ExporterName } from '../config/types';
import { JsonLinesExporter } from './json-lines-exporter';

export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://localhost:4317';
export const DEFAULT_OTLP_HTTP_ENDPOINT = 'http://localhost:4318/v1/traces';

export interface NamedExporter {
  name: ExporterName;
  /** Where spans go, for diagnostics (never includes credentials). */
  destination: string;
  exporter: SpanExporter;
}

function readCa(config: AgentConfig): Buffer | undefined {
  return config.caFile ? readFileSync(config.caFile) : undefined;
}

function createOtlpGrpcExporter(config: AgentConfig): NamedExporter {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc');
  // @grpc/grpc-js is the exporter's own dependency: take the same copy it uses.
  const grpc = createRequire(require.resolve('@opentelemetry/otlp-grpc-exporter-base'))('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const url = config.endpoint ?? DEFAULT_OTLP_GRPC_ENDPOINT;
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(config.headers)) metadata.set(key, value);
  const ca = readCa(config);
  const credentials = url.startsWith('https:') || ca ? grpc.credentials.createSsl(ca ?? null) : grpc.credentials.createInsecure();
  return {
    name: 'otlp',
    destination: url,
    exporter: new OTLPTraceExporter({ url, metadata, credentials, timeoutMillis: config.exportTimeoutMs }),
  };
}

function createOtlpHttpExporter(config: AgentConfig): NamedExporter {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  const url = config.endpoint ?? DEFAULT_OTLP_HTTP_ENDPOINT;
  const ca = readCa(config);
  return {
    name: 'otlp-http',
    destination: url,
    exporter: new OTLPTraceExporter({
      url,
      headers: { ...config.headers },
      timeoutMillis: config.exportTimeoutMs,
      httpAgentOptions: ca ? { ca, keepAlive: true } : { keepAlive: true },
    }),
  };
}

function createJaegerExporter(config: AgentConfig): NamedExporter {
  const { JaegerExporter } = require('@opentelemetry/exporter-jaeger') as typeof import('@opentelemetry/exporter-jaeger');
  // The exporter falls back to OTEL_EXPORTER_JAEGER_* env for every falsy option; export-worker.ts
  // scrubs those from the worker's own env copy, and every option is passed explicitly here.
  if (config.endpoint) {
    return {
      name: 'jaeger',
      destination: config.endpoint,
      exporter: new JaegerExporter({ endpoint: config.endpoint, flushTimeout: config.exportTimeoutMs }),
    };
  }
  return {
    name: 'jaeger',
    destination: `udp://${config.jaegerAgentHost}:${config.jaegerAgentPort}`,
    exporter: new JaegerExporter({
      host: config.jaegerAgentHost,
      port: config.jaegerAgentPort,
      maxPacketSize: 65000,
      flushTimeout: config.exportTimeoutMs,
    }),
  };
}

const EXPORTER_FACTORIES: Record<Exclude<ExporterName, 'none'>, (config: AgentConfig) => NamedExporter> = {
  otlp: createOtlpGrpcExporter,
  'otlp-http': createOtlpHttpExporter,
  jaeger: createJaegerExporter,
  console: () => ({ name: 'console', destination: 'stdout', exporter: new JsonLinesExporter(1) }),
  file: (config) => ({ name: 'file', destination: config.filePath, exporter: new JsonLinesExporter(config.filePath) }),
};

export function createExporters(config: AgentConfig, onError: (name: ExporterName, err: unknown) => void): NamedExporter[] {
  const exporters: NamedExporter[] = [];
  for (const name of config.exporters) {
    if (name === 'none') continue;
    try {
      exporters.push(EXPORTER_FACTORIES[name](config));
    } catch (err) {
      onError(name, err);
    }
  }
  return exporters;
}
