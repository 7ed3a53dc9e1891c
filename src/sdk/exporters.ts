/**
 * Builds the configured span exporters, inside the export worker only. Each exporter's packages are
 * required only when named in TRACING_EXPORTER: in the worker's bundle (scripts/bundle-agent.js) their
 * code is compiled in but runs only then; Jaeger's (thrift) loads from node_modules.
 */
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { readFileSync } from 'fs';
import { gzipSync } from 'zlib';
import type { AgentConfig, ExporterName } from '../config/types';
import { JsonLinesExporter } from './json-lines-exporter';
import { OtlpJsonFileExporter } from './otlp-json-file-exporter';
import { encodeTraceExportRequest } from './otlp-trace-encoder';

export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://localhost:4317';
export const DEFAULT_OTLP_HTTP_ENDPOINT = 'http://localhost:4318/v1/traces';

export interface NamedExporter {
  name: ExporterName;
  /** Where spans go, for diagnostics (never includes credentials). */
  destination: string;
  exporter: SpanExporter;
  /** Its serializer is encodeTraceExportRequest, which takes pre-encoded spans (EncodedSpan) too. */
  takesEncodedSpans?: boolean;
}

function readCa(config: AgentConfig): Buffer | undefined {
  return config.caFile ? readFileSync(config.caFile) : undefined;
}

/** Mutual TLS material, when both halves are configured (load-config reports a lone half). */
function readClientIdentity(config: AgentConfig): { key: Buffer; cert: Buffer } | undefined {
  if (config.clientKeyFile === undefined || config.clientCertFile === undefined) return undefined;
  return { key: readFileSync(config.clientKeyFile), cert: readFileSync(config.clientCertFile) };
}

/**
 * How many export requests may be in flight: enough for the whole queue at once. Upstream's exporters
 * refuse a batch past their concurrencyLimit (30, "Concurrent export limit reached"), and the exit
 * flush (BatchSpanProcessor.forceFlush) sends every queued batch at once: a queue deeper than 30
 * batches (a slow collector, a large TRACING_MAX_QUEUE_SIZE) lost its tail at exit. While running,
 * each batch processor has one export in flight, so this only matters when flushing.
 */
function otlpConcurrencyLimit(config: AgentConfig): number {
  return Math.max(30, Math.ceil(config.maxQueueSize / config.batchSize) + 1);
}

/** One OTLP request's timeout: OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT, where 0 means none of its own (the batch's bound applies). */
function otlpRequestTimeoutMs(config: AgentConfig): number {
  return config.otlpTimeoutMs === undefined || config.otlpTimeoutMs === 0 ? config.exportTimeoutMs : Math.min(config.otlpTimeoutMs, config.exportTimeoutMs);
}

type OtlpGrpcExporterBaseModule = typeof import('@opentelemetry/otlp-grpc-exporter-base');
type OtlpTraceSerializer = OtlpTransformerModule['ProtobufTraceSerializer'];

/**
 * Upstream's trace serializer with our encoder for the request (otlp-trace-encoder.ts: the same bytes,
 * in about a third of the CPU); responses are still read by upstream's.
 */
function fastTraceSerializer(upstream: OtlpTraceSerializer): OtlpTraceSerializer {
  return { serializeRequest: encodeTraceExportRequest, deserializeResponse: (data) => upstream.deserializeResponse(data) };
}

function createOtlpGrpcExporter(config: AgentConfig): NamedExporter {
  // What upstream's OTLPTraceExporter (exporter-trace-otlp-grpc 0.222.0) builds, from the packages it
  // uses (our dependencies too, at the versions it pins, so npm installs one copy), with our serializer:
  // its gRPC transport, options, metadata, TLS, compression and metrics. Required by name, so that
  // scripts/bundle-agent.js compiles them into the export worker's bundle.
  const grpcBase = require('@opentelemetry/otlp-grpc-exporter-base') as OtlpGrpcExporterBaseModule;
  const base = require('@opentelemetry/otlp-exporter-base') as OtlpExporterBaseModule;
  const transformer = require('@opentelemetry/otlp-transformer') as OtlpTransformerModule;
  const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const url = config.endpoint ?? DEFAULT_OTLP_GRPC_ENDPOINT;
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(config.headers)) metadata.set(key, value);
  const ca = readCa(config);
  const client = readClientIdentity(config);
  const credentials =
    url.startsWith('https:') || ca || client
      ? grpc.credentials.createSsl(ca ?? null, client?.key ?? null, client?.cert ?? null)
      : grpc.credentials.createInsecure();
  const options = grpcBase.convertLegacyOtlpGrpcOptions(
    {
      url,
      metadata,
      credentials,
      timeoutMillis: otlpRequestTimeoutMs(config),
      concurrencyLimit: otlpConcurrencyLimit(config),
      ...(config.otlpCompression === 'gzip' && { compression: 'gzip' as never }),
    },
    'TRACES',
  );
  const delegate = grpcBase.createOtlpGrpcExportDelegate(
    options,
    fastTraceSerializer(transformer.ProtobufTraceSerializer),
    'otlp_grpc_span_exporter',
    transformer.TraceExporterMetricsHelper,
    undefined,
    'TraceExportService',
    '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  );
  return { name: 'otlp', destination: url, exporter: new base.OTLPExporterBase(delegate), takesEncodedSpans: true };
}

type OtlpExporterBaseModule = typeof import('@opentelemetry/otlp-exporter-base');
// (Type only: this tsconfig's moduleResolution does not read export maps; the runtime require does.)
type OtlpExporterBaseNodeHttpModule = typeof import('@opentelemetry/otlp-exporter-base/build/src/index-node-http');
type OtlpTransformerModule = typeof import('@opentelemetry/otlp-transformer');
type ExportResponse = import('@opentelemetry/otlp-exporter-base').ExportResponse;

/** Upstream's RetryingTransport schedule (otlp-exporter-base 0.222.0 build/src/retrying-transport.js). */
const RETRY = { maxRetries: 5, initialBackoffMs: 1000, maxBackoffMs: 5000, multiplier: 1.5, jitter: 0.2 };
/** Upstream's cap on a response body (http-transport-utils.js MAX_RESPONSE_BODY_SIZE). */
const MAX_RESPONSE_BODY_BYTES = 4 * 1024 * 1024;
/**
 * Network errors worth another attempt. Not ECONNREFUSED: see OtlpHttpTransport. (Upstream's list,
 * http-transport-utils.js isHttpTransportNetworkErrorRetryable, minus that one.)
 */
const RETRYABLE_NETWORK_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);
const RETRYABLE_HTTP_STATUSES = new Set([429, 502, 503, 504]);

/**
 * The OTLP/HTTP exporter's transport: one POST per attempt, retried on upstream's schedule, except
 * that a refused connection is not retried.
 *
 * Why: upstream's OTLP/HTTP exporter (createOtlpHttpExportDelegate) wraps its HTTP transport in a
 * RetryingTransport that treats ECONNREFUSED as retryable and retries up to 5 times after 1, 1.5,
 * 2.25, 3.4 and 5 s (+-20% jitter), as long as the export timeout (TRACING_EXPORT_TIMEOUT_MS, 30 s by
 * default) allows: measured against a refused port, 6 attempts over 13.5 s before the export fails.
 * The exit flush waits for that export (BatchSpanProcessor.forceFlush awaits it), so every process
 * whose collector refuses connections sat out the whole TRACING_SHUTDOWN_TIMEOUT_MS at exit (5.1 s
 * instead of 0.06 s for a short script). A refused connection fails in well under a millisecond on the
 * spot: nothing listens, and a retry a second later only delays exit; the gRPC exporter does not retry
 * at all (createOtlpNetworkExportDelegate with no RetryingTransport) and gives up as fast. So a refused
 * export fails at once and its spans are dropped and counted, like any failed batch; the next batch
 * tries again, so spans flow again when the collector is back. Everything else (429/502/503/504 with
 * Retry-After, timeouts, resets) is still retried as upstream does, within the export timeout, and at
 * exit within TRACING_SHUTDOWN_TIMEOUT_MS: a slow or briefly failing collector still gets its spans.
 * Upstream sources (as installed: otlp-exporter-base 0.222.0, build/src/):
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/experimental/packages/otlp-exporter-base/src/retrying-transport.ts
 * (the schedule), .../src/transport/http-transport-utils.ts (ECONNREFUSED among the retryable network
 * errors), .../src/otlp-http-export-delegate.ts (RetryingTransport always wraps the HTTP transport).
 */
class OtlpHttpTransport {
  constructor(
    private readonly _url: URL,
    private readonly _headers: Record<string, string>,
    private readonly _agent: import('http').Agent,
    private readonly _request: typeof import('http').request,
    private readonly _newHttpError: (message: string | undefined, code: number, body: string) => Error,
    /** OTEL_EXPORTER_OTLP_COMPRESSION=gzip: the body is gzipped once, before the first attempt. */
    private readonly _gzip = false,
  ) {}

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (this._gzip) data = gzipSync(data);
    const deadline = Date.now() + timeoutMillis;
    let backoff = RETRY.initialBackoffMs;
    let result = await this._attempt(data, timeoutMillis);
    for (let retries = RETRY.maxRetries; result.status === 'retryable' && retries > 0; retries--) {
      const jittered = Math.min(backoff * (1 + Math.random() * 2 * RETRY.jitter - RETRY.jitter), RETRY.maxBackoffMs);
      backoff *= RETRY.multiplier;
      const retryInMs = result.retryInMillis !== undefined && result.retryInMillis >= 0 ? result.retryInMillis : jittered;
      const remaining = deadline - Date.now();
      if (retryInMs > remaining) break;
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
      result = await this._attempt(data, deadline - Date.now());
    }
    return result;
  }

  shutdown(): void {
    this._agent.destroy();
  }

  private _attempt(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    return new Promise<ExportResponse>((resolve) => {
      const req = this._request(
        this._url,
        { method: 'POST', headers: { ...this._headers, 'Content-Length': String(data.byteLength) }, agent: this._agent },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_RESPONSE_BODY_BYTES) {
              resolve({ status: 'failure', error: new Error(`OTLP export response body exceeded size limit of ${MAX_RESPONSE_BODY_BYTES} bytes`) });
              res.destroy();
              return;
            }
            chunks.push(chunk);
          });
          // As upstream: a body cut short after a 2xx status still delivered the spans.
          res.on('error', (error) => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status <= 299) resolve({ status: 'success' });
            else if (RETRYABLE_HTTP_STATUSES.has(status)) resolve({ status: 'retryable', error, retryInMillis: parseRetryAfterMs(res.headers['retry-after']) });
            else resolve({ status: 'failure', error });
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status <= 299) {
              resolve({ status: 'success', data: Buffer.concat(chunks) });
            } else if (RETRYABLE_HTTP_STATUSES.has(status)) {
              resolve({ status: 'retryable', retryInMillis: parseRetryAfterMs(res.headers['retry-after']) });
            } else {
              resolve({ status: 'failure', error: this._newHttpError(res.statusMessage, status, Buffer.concat(chunks).toString()) });
            }
          });
        },
      );
      req.setTimeout(Math.max(1, timeoutMillis), () => {
        req.destroy();
        resolve({ status: 'retryable', error: new Error('Request timed out') });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        const retryable = typeof error.code === 'string' && RETRYABLE_NETWORK_ERRORS.has(error.code);
        resolve(retryable ? { status: 'retryable', error } : { status: 'failure', error });
      });
      req.end(data);
    });
  }
}

/** Retry-After as milliseconds (seconds or an HTTP date), as upstream's parseRetryAfterToMills. */
function parseRetryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : undefined;
  const delay = new Date(value).getTime() - Date.now();
  return Number.isNaN(delay) ? undefined : Math.max(0, delay);
}

function createOtlpHttpExporter(config: AgentConfig): NamedExporter {
  // Upstream's own building blocks, the packages @opentelemetry/exporter-trace-otlp-proto uses (as for
  // gRPC above): the same serializer, concurrency-bounded delegate and exporter metrics as its
  // OTLPTraceExporter, with OtlpHttpTransport instead of its retrying HTTP transport
  // (createOtlpNetworkExportDelegate is the public way to bring a transport, as the gRPC exporter does).
  const base = require('@opentelemetry/otlp-exporter-base') as OtlpExporterBaseModule;
  const nodeHttp = require('@opentelemetry/otlp-exporter-base/node-http') as OtlpExporterBaseNodeHttpModule;
  const transformer = require('@opentelemetry/otlp-transformer') as OtlpTransformerModule;
  const { version } = require('@opentelemetry/exporter-trace-otlp-proto/package.json') as { version: string };

  const url = config.endpoint ?? DEFAULT_OTLP_HTTP_ENDPOINT;
  const parsed = new URL(url);
  const https = parsed.protocol === 'https:';
  const ca = readCa(config);
  const client = readClientIdentity(config);
  const http = (https ? require('https') : require('http')) as typeof import('http');
  const agent = new http.Agent({ keepAlive: true, ...(ca && { ca }), ...(client && https && client) });
  const transport = new OtlpHttpTransport(
    parsed,
    {
      ...config.headers,
      'Content-Type': 'application/x-protobuf',
      'User-Agent': `OTel-OTLP-Exporter-JavaScript/${version}`,
      ...(config.otlpCompression === 'gzip' && { 'Content-Encoding': 'gzip' }),
    },
    agent,
    http.request,
    (message, code, body) => new base.OTLPExporterError(message, code, body),
    config.otlpCompression === 'gzip',
  );
  const options = { ...base.getSharedConfigurationDefaults(), timeoutMillis: otlpRequestTimeoutMs(config), concurrencyLimit: otlpConcurrencyLimit(config) };
  const metrics = nodeHttp.createOtlpHttpExporterMetrics('otlp_http_span_exporter', transformer.TraceExporterMetricsHelper, url, undefined);
  const delegate = base.createOtlpNetworkExportDelegate(options, fastTraceSerializer(transformer.ProtobufTraceSerializer), metrics, transport);
  return {
    name: 'otlp-http',
    destination: url,
    exporter: new base.OTLPExporterBase(delegate),
    takesEncodedSpans: true,
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

export const DEFAULT_ZIPKIN_ENDPOINT = 'http://localhost:9411/api/v2/spans';
const NETWORK_EXPORTERS: readonly ExporterName[] = ['otlp', 'otlp-http', 'jaeger', 'zipkin'];

function createZipkinExporter(config: AgentConfig): NamedExporter {
  const { ZipkinExporter } = require('@opentelemetry/exporter-zipkin') as typeof import('@opentelemetry/exporter-zipkin');
  // TRACING_ENDPOINT is one URL: it is zipkin's only when no other network exporter shares it.
  const onlyNetworkExporter = config.exporters.filter((name) => NETWORK_EXPORTERS.includes(name)).length === 1;
  const url = config.zipkinEndpoint ?? (onlyNetworkExporter ? config.endpoint : undefined) ?? DEFAULT_ZIPKIN_ENDPOINT;
  return { name: 'zipkin', destination: url, exporter: new ZipkinExporter({ url, headers: config.headers }) };
}

const EXPORTER_FACTORIES: Record<Exclude<ExporterName, 'none'>, (config: AgentConfig) => NamedExporter> = {
  zipkin: createZipkinExporter,
  otlp: createOtlpGrpcExporter,
  'otlp-http': createOtlpHttpExporter,
  jaeger: createJaegerExporter,
  console: () => ({ name: 'console', destination: 'stdout', exporter: new JsonLinesExporter(1) }),
  file: (config) => ({ name: 'file', destination: config.filePath, exporter: new OtlpJsonFileExporter(config.filePath) }),
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
