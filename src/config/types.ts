/**
 * The agent's effective configuration, after env reading, OTEL_* fallbacks and validation.
 * Every field is always set: a missing or invalid value has already been replaced by its default.
 */

export const EXPORTER_NAMES = ['otlp', 'otlp-http', 'jaeger', 'console', 'file', 'none'] as const;
export type ExporterName = (typeof EXPORTER_NAMES)[number];

export const ESM_HOOK_MODES = ['auto', 'on', 'off'] as const;
export type EsmHookMode = (typeof ESM_HOOK_MODES)[number];

export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** TRACING_PII_CLIENT_IP: what client addresses become (see README "Client IP addresses"). */
export const CLIENT_IP_MODES = ['mask', 'truncate', 'keep'] as const;
export type ClientIpMode = (typeof CLIENT_IP_MODES)[number];

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
  jaegerAgentHost: string;
  jaegerAgentPort: number;
  filePath: string;
  sampleRate: number;
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
