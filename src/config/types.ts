/**
 * The agent's effective configuration, after env reading, OTEL_* fallbacks and validation.
 * Every field is always set: a missing or invalid value has already been replaced by its default.
 */

import type { SamplingRule } from './sampling-options';
import type { PropagatorName, ResourceDetectorName } from './option-parsers';

export const EXPORTER_NAMES = ['otlp', 'otlp-http', 'jaeger', 'zipkin', 'console', 'file', 'none'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

/** Where metrics go (TRACING_METRICS): otlp is gRPC, otlp-http is HTTP/protobuf, prometheus a scrape endpoint. */
export const METRICS_EXPORTER_NAMES = ['otlp', 'otlp-http', 'prometheus', 'console', 'none'] as const;
export type MetricsExporterName = (typeof METRICS_EXPORTER_NAMES)[number];

export const ESM_HOOK_MODES = ['auto', 'on', 'off'] as const;
export type EsmHookMode = (typeof ESM_HOOK_MODES)[number];

export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** TRACING_PII_CLIENT_IP: what client addresses become (see README "Client IP addresses"). */
export const CLIENT_IP_MODES = ['mask', 'truncate', 'keep'] as const;
export type ClientIpMode = (typeof CLIENT_IP_MODES)[number];

/** TRACING_EXPRESS_MIDDLEWARE_SPANS: which express layers get a span (see README "Instrumentations"). */
export const EXPRESS_MIDDLEWARE_SPAN_MODES = ['auto', 'all', 'none'] as const;
export type ExpressMiddlewareSpanMode = (typeof EXPRESS_MIDDLEWARE_SPAN_MODES)[number];

export interface AgentConfig {
  enabled: boolean;
  serviceName: string;
  serviceVersion: string | undefined;
  environment: string | undefined;
  /** Extra resource attributes (OTEL_RESOURCE_ATTRIBUTES). */
  resourceAttributes: Record<string, string>;
  /** Deduplicated, never empty; ['none'] means "create and propagate context, export nothing". */
  exporters: ExporterName[];
  /** Explicit endpoint URL; undefined means "each exporter's own default". */
  endpoint: string | undefined;
  headers: Record<string, string>;
  caFile: string | undefined;
  /** The zipkin exporter's URL (OTEL_EXPORTER_ZIPKIN_ENDPOINT); undefined: TRACING_ENDPOINT or its default. */
  zipkinEndpoint: string | undefined;
  /** Mutual TLS with the collector: the client's key and certificate (PEM files). */
  clientKeyFile: string | undefined;
  clientCertFile: string | undefined;
  /** Compression of OTLP export requests. */
  otlpCompression: 'gzip' | 'none';
  /** Per-request timeout of the OTLP exporters (OTEL_EXPORTER_OTLP_TIMEOUT); undefined: TRACING_EXPORT_TIMEOUT_MS. */
  otlpTimeoutMs: number | undefined;
  jaegerAgentHost: string;
  jaegerAgentPort: number;
  filePath: string;
  sampleRate: number;
  /** Whether a valid parent's sampled flag decides (the parentbased_* samplers; TRACING_SAMPLE_RATE always is). */
  samplerParentBased: boolean;
  /** First match wins, for traces this process starts (no parent, or the sampler is not parent-based). */
  samplingRules: SamplingRule[];
  /** Token bucket on new root traces that head sampling kept; undefined: no limit. */
  maxTracesPerSecond: number | undefined;
  /** Keep (record and export) a trace not head-sampled when its local root ends in error. */
  keepErrors: boolean;
  /** Keep a trace not head-sampled when its local root lasts at least this long; undefined: off. */
  keepSlowerThanMs: number | undefined;
  /** Spans of not-yet-decided traces held at most, before the oldest trace is dropped. */
  keepMaxPendingSpans: number;
  /** Request path globs that get no span at all (health checks, probes, scrapes). */
  ignorePaths: string[];
  /** Header names (lower-case) recorded as http.request.header.* / http.response.header.* attributes, masked like every value. */
  captureServerRequestHeaders: string[];
  captureServerResponseHeaders: string[];
  captureClientRequestHeaders: string[];
  captureClientResponseHeaders: string[];
  /** Resource detectors in the export worker (OTEL_NODE_RESOURCE_DETECTORS); cloud ones only when named. */
  resourceDetectors: ResourceDetectorName[];
  /** Context propagation formats, in order; ['none'] propagates nothing. */
  propagators: PropagatorName[];
  /** The SDK's span limits (OTEL_SPAN_*_LIMIT, OTEL_ATTRIBUTE_*_LIMIT); undefined: the SDK's default. */
  attributeValueLengthLimit: number | undefined;
  attributeCountLimit: number | undefined;
  eventCountLimit: number | undefined;
  linkCountLimit: number | undefined;
  eventAttributeCountLimit: number | undefined;
  linkAttributeCountLimit: number | undefined;
  /** Express layer spans: auto (kept when they err, take >= 1 ms or have children), all (upstream's set), none. */
  expressMiddlewareSpans: ExpressMiddlewareSpanMode;
  /** Short names, e.g. ['http', 'express', 'undici', 'pg']. */
  instrumentations: string[];
  /** Whether to install the ESM loader hook: 'auto' does so only for an ESM entry point or --import. */
  esmHook: EsmHookMode;
  maxQueueSize: number;
  batchSize: number;
  scheduleDelayMs: number;
  exportTimeoutMs: number;
  shutdownTimeoutMs: number;
  logLevel: LogLevel;

  // Metrics (see README "Metrics"); ['none'] means nothing metrics-related is loaded.
  metricsExporters: MetricsExporterName[];
  /** OTLP metrics URL; undefined: the spans' endpoint when the protocol matches, else the exporter's default. */
  metricsEndpoint: string | undefined;
  metricsHeaders: Record<string, string>;
  metricsExportIntervalMs: number;
  prometheusHost: string;
  prometheusPort: number;
  /** Event loop delay, heap and GC metrics through @opentelemetry/instrumentation-runtime-node. */
  runtimeMetrics: boolean;

  // Error paths (see README "Errors and PII").
  piiMasking: boolean;
  /** User regex sources, not yet compiled (src/redact compiles and vets them). */
  piiPatterns: string[];
  /** Extra sensitive key names, lower-case. */
  piiKeys: string[];
  /** Client addresses (client.address, X-Forwarded-For...): masked, truncated to /24 and /48, or kept. */
  piiClientIp: ClientIpMode;
  captureStacktrace: boolean;
  errorBodyTraceId: boolean;
  errorBodyField: string;
  errorStatusMin: number;
  responseHeader: boolean;
}

export type ConfigKey = keyof AgentConfig;

/** Where a value came from: 'TRACING_SAMPLE_RATE', 'OTEL_SERVICE_NAME', 'package.json', 'default', ... */
export type ConfigSources = Record<ConfigKey, string>;

export interface LoadedConfig {
  config: AgentConfig;
  sources: ConfigSources;
  /** One human line per problem, already formatted for stderr. */
  problems: string[];
}
