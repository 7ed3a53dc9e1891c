/**
 * THE config table: one row per AgentConfig field. The loader, the env example, the README table
 * and `otel-agent config` are all derived from it; add an option here and nowhere else.
 *
 * Row order is resolution order (endpoint reads the resolved exporters) and documentation order.
 */
import * as path from 'path';
import type { AgentConfig, ConfigKey } from './types';
import { CLIENT_IP_MODES, ESM_HOOK_MODES, EXPORTER_NAMES, EXPRESS_MIDDLEWARE_SPAN_MODES, LOG_LEVELS, METRICS_EXPORTER_NAMES } from './types';
import type { AnyConfigOption, ConfigOption, ValueParser } from './option-types';
import {
  integerBetween,
  numberBetween,
  oneOf,
  parseBoolean,
  parseHttpUrl,
  parsePemCertificateFile,
  parsePemPrivateKeyFile,
  parseWritableFilePath,
  printableText,
  redactUrlCredentials,
  textMatching,
  keyValueList,
  splitCommaList,
  whyNotWritable,
} from './value-parsers';
import {
  defaultInstrumentations,
  parseInstrumentations,
  parseOtelDisabledInstrumentations,
  parseOtelEnabledInstrumentations,
  parsePiiKeys,
  parsePiiPatterns,
  parseServiceName,
  parseTracingExporters,
  SERVICE_NAME_MAX_LENGTH,
} from './option-parsers';
import {
  fromResourceAttribute,
  parseOtelLogLevel,
  parseOtelSampler,
  parseOtelTracesExporter,
  parseOtlpBaseEndpoint,
  parseOtlpProtocol,
  parseResourceAttributes,
  parseSdkDisabled,
  RESOURCE_ATTRIBUTES_VARIABLE,
  otelOnlyDefaultExporter,
  otelSamplerApplies,
  parseOtelSamplerParentBased,
  samplerArgApplies,
  usesOtlp,
} from './otel-fallbacks';
import { parsePathGlobs, parseSamplingRules } from './sampling-options';
import {
  metricsEndpointFromTraces,
  OTLP_METRICS_PROTOCOL_VARIABLES,
  parseOtelMetricsExporter,
  parseOtlpMetricsBaseEndpoint,
  parseTracingMetrics,
  usesOtlpMetrics,
} from './metrics-options';
import { DEFAULT_RESOURCE_DETECTORS, parsePropagators, parseResourceDetectors, PROPAGATOR_NAMES, RESOURCE_DETECTOR_NAMES } from './option-parsers';
import { serviceNameFromPackageName } from './app-package';

/** Identity helper so each row's value type is checked against its key. */
function option<K extends ConfigKey>(row: ConfigOption<K>): ConfigOption<K> {
  return row;
}

const TEN_MINUTES_MS = 10 * 60 * 1000;
const MAX_QUEUE_SIZE = 1_000_000;
const DEFAULT_FILE_PATH = './traces.jsonl';

const parsePositiveDurationMs = integerBetween(1, TEN_MINUTES_MS, ' milliseconds');
// 0 is "no limit of its own" (the batch export timeout still bounds it).
const parseOtlpTimeout: ValueParser<number> = (raw, variable, ctx) => {
  const parsed = integerBetween(0, TEN_MINUTES_MS, ' milliseconds')(raw, variable, ctx);
  return parsed === undefined ? undefined : { value: parsed.value };
};
const parseQueueLength = integerBetween(1, MAX_QUEUE_SIZE);

const parseLimit = integerBetween(0, 1_000_000_000);

function spanLimit<K extends ConfigKey>(key: K, variables: string[], doc: string): ConfigOption<K> {
  return option({
    key,
    envVar: undefined,
    otelFallbacks: variables.map((envVar) => ({ envVar })),
    type: 'integer',
    default: undefined as AgentConfig[K],
    whenUnset: "the SDK's default",
    parse: parseLimit as ConfigOption<K>['parse'],
    doc,
  });
}

const parseHeaderNames: ValueParser<string[]> = (raw, variable, ctx) => {
  const names = splitCommaList(raw).map((name) => name.toLowerCase());
  const valid = names.filter((name) => /^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name));
  for (const name of names.filter((n) => !valid.includes(n))) {
    ctx.report({ variable, shownValue: raw, whatIsWrong: `has ${JSON.stringify(name)}, which is not a header name`, instead: 'ignoring it' });
  }
  return { value: [...new Set(valid)] };
};

function headerCapture<K extends ConfigKey>(key: K, side: 'SERVER' | 'CLIENT', direction: 'REQUEST' | 'RESPONSE'): ConfigOption<K> {
  return option({
    key,
    envVar: undefined,
    otelFallbacks: [{ envVar: `OTEL_INSTRUMENTATION_HTTP_${side}_CAPTURE_${direction}_HEADERS` }],
    type: 'list',
    default: [] as unknown as AgentConfig[K],
    parse: parseHeaderNames as unknown as ConfigOption<K>['parse'],
    doc: `${direction === 'REQUEST' ? 'Request' : 'Response'} headers of ${side === 'SERVER' ? 'incoming' : 'outgoing'} requests recorded as http.${direction.toLowerCase()}.header.<name> attributes (comma-separated names; values are masked like every attribute).`,
  });
}

/** The header capture variables Java's agent and EDOT use. */
const HEADER_CAPTURE_OPTIONS = [
  headerCapture('captureServerRequestHeaders', 'SERVER', 'REQUEST'),
  headerCapture('captureServerResponseHeaders', 'SERVER', 'RESPONSE'),
  headerCapture('captureClientRequestHeaders', 'CLIENT', 'REQUEST'),
  headerCapture('captureClientResponseHeaders', 'CLIENT', 'RESPONSE'),
];

/** The specification's span limits: the span-specific variable first, then the general one. */
const SPAN_LIMIT_OPTIONS = [
  spanLimit(
    'attributeValueLengthLimit',
    ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'],
    'Longest attribute value kept on spans (longer strings are truncated).',
  ),
  spanLimit('attributeCountLimit', ['OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'], 'Most attributes kept on a span (128 by default).'),
  spanLimit('eventCountLimit', ['OTEL_SPAN_EVENT_COUNT_LIMIT'], 'Most events kept on a span (128 by default).'),
  spanLimit('linkCountLimit', ['OTEL_SPAN_LINK_COUNT_LIMIT'], 'Most links kept on a span (128 by default).'),
  spanLimit('eventAttributeCountLimit', ['OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT'], 'Most attributes kept on a span event (128 by default).'),
  spanLimit('linkAttributeCountLimit', ['OTEL_LINK_ATTRIBUTE_COUNT_LIMIT'], 'Most attributes kept on a span link (128 by default).'),
];

/**
 * The error-body field is assigned on objects the app built (`body[field] = traceId`): `__proto__`
 * would replace the body's prototype, `constructor`/`prototype` would shadow what serializers and
 * frameworks read. Such names are rejected like any other invalid name (one problem line, default kept).
 */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const parseFieldNameShape = textMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'a letter or _, then up to 63 letters, digits, _ . -', 'field name');
const parseErrorBodyFieldName: typeof parseFieldNameShape = (raw, variable, ctx) => {
  if (PROTOTYPE_KEYS.has(raw)) {
    ctx.report({
      variable,
      shownValue: raw,
      whatIsWrong: 'is not a usable field name (__proto__, constructor and prototype would change the object itself, not add a field)',
    });
    return undefined;
  }
  return parseFieldNameShape(raw, variable, ctx);
};

export const CONFIG_OPTIONS = [
  option({
    key: 'enabled',
    envVar: 'TRACING_ENABLED',
    otelFallbacks: [{ envVar: 'OTEL_SDK_DISABLED', note: 'true means disabled', parse: parseSdkDisabled }],
    type: 'boolean',
    default: true,
    parse: parseBoolean,
    doc: 'Turn tracing on or off; when off the agent loads nothing else.',
  }),
  option({
    key: 'serviceName',
    envVar: 'TRACING_SERVICE_NAME',
    otelFallbacks: [{ envVar: 'OTEL_SERVICE_NAME' }, fromResourceAttribute(['service.name'], parseServiceName, 'its service.name')],
    type: 'string',
    default: 'unknown_service:node',
    defaultDoc: 'app package.json name (`@acme/checkout` becomes `acme-checkout`), else `unknown_service:node`',
    derivedDefault: (ctx) => {
      const name = ctx.appPackage?.name;
      const sanitized = name === undefined ? undefined : serviceNameFromPackageName(name, SERVICE_NAME_MAX_LENGTH);
      return sanitized === undefined ? undefined : { value: sanitized, source: 'package.json' };
    },
    parse: parseServiceName,
    doc: 'Service name on every span (any text without control characters).',
  }),
  option({
    key: 'serviceVersion',
    envVar: 'TRACING_SERVICE_VERSION',
    otelFallbacks: [fromResourceAttribute(['service.version'], printableText(128), 'its service.version')],
    type: 'string',
    default: undefined,
    defaultDoc: 'app package.json version, else unset',
    derivedDefault: (ctx) => {
      const version = ctx.appPackage?.version;
      return version === undefined || version.length > 128 ? undefined : { value: version, source: 'package.json' };
    },
    parse: printableText(128),
    whenUnset: 'no service.version',
    doc: 'Service version (resource attribute service.version).',
  }),
  option({
    key: 'environment',
    envVar: 'TRACING_ENVIRONMENT',
    otelFallbacks: [
      fromResourceAttribute(
        ['deployment.environment.name', 'deployment.environment'],
        printableText(128),
        'its deployment.environment.name or deployment.environment',
      ),
    ],
    type: 'string',
    default: undefined,
    parse: printableText(128),
    whenUnset: 'no deployment environment',
    doc: 'Deployment environment, e.g. production (resource attribute deployment.environment.name).',
  }),
  option({
    key: 'resourceAttributes',
    envVar: undefined,
    otelFallbacks: [{ envVar: RESOURCE_ATTRIBUTES_VARIABLE }],
    type: 'key=value list',
    default: {},
    parse: parseResourceAttributes,
    doc: 'Extra resource attributes, `k=v,k2=v2`, values percent-decoded (no TRACING_ variable).',
  }),
  option({
    key: 'exporters',
    envVar: 'TRACING_EXPORTER',
    otelFallbacks: [
      {
        envVar: 'OTEL_TRACES_EXPORTER',
        note: 'otlp, jaeger, zipkin, console, none; otlp per the protocol, else http/protobuf as upstream',
        parse: parseOtelTracesExporter,
      },
      { envVar: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', note: 'grpc: otlp; http/protobuf: otlp-http', parse: parseOtlpProtocol },
      { envVar: 'OTEL_EXPORTER_OTLP_PROTOCOL', note: 'as above', parse: parseOtlpProtocol },
    ],
    type: 'list',
    default: ['otlp'],
    defaultDoc: "`otlp`; `otlp-http` when only OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set (upstream's default protocol)",
    derivedDefault: otelOnlyDefaultExporter,
    parse: parseTracingExporters,
    doc: `Where spans go, comma-separated: ${EXPORTER_NAMES.join(', ')} (otlp is gRPC, otlp-http is HTTP/protobuf; console prints a JSON line per span, file writes OTLP/JSON).`,
  }),
  option({
    key: 'endpoint',
    envVar: 'TRACING_ENDPOINT',
    otelFallbacks: [
      { envVar: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', note: 'as-is; OTLP exporters only', appliesWhen: usesOtlp },
      { envVar: 'OTEL_EXPORTER_OTLP_ENDPOINT', note: 'otlp-http appends /v1/traces; OTLP exporters only', appliesWhen: usesOtlp, parse: parseOtlpBaseEndpoint },
    ],
    type: 'url',
    default: undefined,
    defaultDoc: "each exporter's default",
    parse: parseHttpUrl,
    whenUnset: "each exporter's default endpoint",
    doc: 'Collector URL (http:// or https://), used as written.',
  }),
  option({
    key: 'headers',
    envVar: 'TRACING_HEADERS',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_OTLP_TRACES_HEADERS' }, { envVar: 'OTEL_EXPORTER_OTLP_HEADERS' }],
    type: 'key=value list',
    default: {},
    parse: keyValueList({ kind: 'header' }),
    secret: true,
    doc: 'Headers sent to the collector, `k=v,k2=v2`, values percent-decoded; never printed.',
  }),
  option({
    key: 'caFile',
    envVar: 'TRACING_CA_FILE',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE' }, { envVar: 'OTEL_EXPORTER_OTLP_CERTIFICATE' }],
    type: 'path',
    default: undefined,
    defaultDoc: 'system CAs',
    parse: parsePemCertificateFile,
    whenUnset: 'the system CAs',
    doc: 'PEM file of CA certificates to trust for the collector (relative to the working directory).',
  }),
  option({
    key: 'zipkinEndpoint',
    envVar: undefined,
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_ZIPKIN_ENDPOINT' }],
    type: 'url',
    default: undefined,
    parse: parseHttpUrl,
    whenUnset: 'TRACING_ENDPOINT when zipkin is the only network exporter, else http://localhost:9411/api/v2/spans',
    doc: "The zipkin exporter's URL (Zipkin's JSON v2 API).",
  }),
  option({
    key: 'clientKeyFile',
    envVar: 'TRACING_CLIENT_KEY_FILE',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY' }, { envVar: 'OTEL_EXPORTER_OTLP_CLIENT_KEY' }],
    type: 'path',
    default: undefined,
    parse: parsePemPrivateKeyFile,
    whenUnset: 'no client certificate',
    doc: 'PEM private key for mutual TLS with the collector, with TRACING_CLIENT_CERT_FILE (OTLP exporters).',
  }),
  option({
    key: 'clientCertFile',
    envVar: 'TRACING_CLIENT_CERT_FILE',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE' }, { envVar: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE' }],
    type: 'path',
    default: undefined,
    parse: parsePemCertificateFile,
    whenUnset: 'no client certificate',
    doc: 'PEM certificate chain for mutual TLS with the collector, with TRACING_CLIENT_KEY_FILE (OTLP exporters).',
  }),
  option({
    key: 'otlpCompression',
    envVar: undefined,
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_OTLP_TRACES_COMPRESSION' }, { envVar: 'OTEL_EXPORTER_OTLP_COMPRESSION' }],
    type: 'enum',
    default: 'none',
    parse: oneOf(['gzip', 'none'] as const, 'compression'),
    doc: 'Compression of OTLP export requests: gzip or none.',
  }),
  option({
    key: 'otlpTimeoutMs',
    envVar: undefined,
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' }, { envVar: 'OTEL_EXPORTER_OTLP_TIMEOUT' }],
    type: 'integer',
    default: undefined,
    whenUnset: 'TRACING_EXPORT_TIMEOUT_MS',
    parse: parseOtlpTimeout,
    doc: 'Milliseconds one OTLP request may take (0: no limit of its own), distinct from the batch export timeout (TRACING_EXPORT_TIMEOUT_MS / OTEL_BSP_EXPORT_TIMEOUT).',
  }),
  option({
    key: 'jaegerAgentHost',
    envVar: 'TRACING_JAEGER_AGENT_HOST',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_JAEGER_AGENT_HOST' }],
    type: 'string',
    default: 'localhost',
    parse: textMatching(/^[A-Za-z0-9._:%[\]-]{1,253}$/, 'a host name or IP address', 'host'),
    doc: 'Jaeger agent host for the jaeger exporter (UDP), unless TRACING_ENDPOINT names a collector.',
  }),
  option({
    key: 'jaegerAgentPort',
    envVar: 'TRACING_JAEGER_AGENT_PORT',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_JAEGER_AGENT_PORT' }],
    type: 'integer',
    default: 6832,
    parse: integerBetween(1, 65535),
    doc: 'Jaeger agent UDP port.',
  }),
  option({
    key: 'filePath',
    envVar: 'TRACING_FILE_PATH',
    otelFallbacks: [],
    type: 'path',
    default: DEFAULT_FILE_PATH,
    derivedDefault: (ctx) => {
      const file = path.resolve(ctx.cwd, DEFAULT_FILE_PATH);
      // Only worth a warning when the file exporter will write there, or the user tried another path.
      if (ctx.resolved.exporters?.includes('file') || ctx.read('TRACING_FILE_PATH') !== undefined) {
        const reason = whyNotWritable(file);
        if (reason !== undefined) {
          ctx.report({
            variable: 'TRACING_FILE_PATH',
            shownValue: DEFAULT_FILE_PATH,
            whatIsWrong: `(the default) ${reason}`,
            instead: 'the file exporter will fail to write',
          });
        }
      }
      return { value: file, source: 'default' };
    },
    parse: parseWritableFilePath,
    doc: "Output of the file exporter: OTLP/JSON, one ExportTraceServiceRequest per line, as the Collector's file exporter writes (relative to the working directory; not created until spans are written).",
  }),
  option({
    key: 'sampleRate',
    envVar: 'TRACING_SAMPLE_RATE',
    otelFallbacks: [
      { envVar: 'OTEL_TRACES_SAMPLER', note: 'always_on: 1, always_off: 0, (parentbased_)traceidratio: its argument', parse: parseOtelSampler },
      { envVar: 'OTEL_TRACES_SAMPLER_ARG', note: 'when no other sampler is named', appliesWhen: samplerArgApplies },
    ],
    type: 'number',
    default: 1,
    parse: numberBetween(0, 1),
    doc: 'Fraction of traces to record, 0 to 1 (parent-based: a sampled incoming traceparent is always recorded).',
  }),
  option({
    key: 'samplerParentBased',
    envVar: undefined,
    otelFallbacks: [
      {
        envVar: 'OTEL_TRACES_SAMPLER',
        note: 'parentbased_* follow the parent; always_on, always_off, traceidratio ignore it',
        parse: parseOtelSamplerParentBased,
        appliesWhen: otelSamplerApplies,
      },
    ],
    type: 'boolean',
    default: true,
    parse: parseOtelSamplerParentBased,
    doc: "Whether a valid parent's sampled flag decides (no TRACING_ variable: TRACING_SAMPLE_RATE is always parent-based).",
  }),
  option({
    key: 'samplingRules',
    envVar: 'TRACING_SAMPLING_RULES',
    otelFallbacks: [],
    type: 'JSON array',
    default: [],
    parse: parseSamplingRules,
    doc: 'Per-route sample rates for traces this service starts, first match wins: `[{"path":"/api/**","method":"GET","sample_rate":0.5},{"route":"/users/:id","sample_rate":1}]` (keys service, method, path glob or route, sample_rate).',
  }),
  option({
    key: 'maxTracesPerSecond',
    envVar: 'TRACING_MAX_TRACES_PER_SECOND',
    otelFallbacks: [],
    type: 'number',
    default: undefined,
    whenUnset: 'no limit',
    parse: numberBetween(0.001, 1_000_000),
    doc: 'At most this many new traces per second are head-sampled (a token bucket); errors kept by TRACING_KEEP_ERRORS are not limited by it.',
  }),
  option({
    key: 'keepErrors',
    envVar: 'TRACING_KEEP_ERRORS',
    otelFallbacks: [],
    type: 'boolean',
    default: true,
    parse: parseBoolean,
    doc: 'Export a request that fails (ERROR status, an exception, a 5xx, or a trace_id shown in its error body) with its child spans even when sampling said no; marked otel_agent.kept_by=error.',
  }),
  option({
    key: 'keepSlowerThanMs',
    envVar: 'TRACING_KEEP_SLOWER_THAN_MS',
    otelFallbacks: [],
    type: 'integer',
    default: undefined,
    whenUnset: 'off',
    parse: integerBetween(1, TEN_MINUTES_MS, ' milliseconds'),
    doc: 'Export a request that takes at least this many milliseconds with its child spans even when sampling said no; marked otel_agent.kept_by=slow.',
  }),
  option({
    key: 'keepMaxPendingSpans',
    envVar: 'TRACING_KEEP_MAX_PENDING_SPANS',
    otelFallbacks: [],
    type: 'integer',
    default: 4096,
    parse: parseQueueLength,
    doc: 'Spans of unsampled requests held until their outcome is known (for TRACING_KEEP_*); beyond it the oldest request is dropped and counted.',
  }),
  option({
    key: 'propagators',
    envVar: 'TRACING_PROPAGATORS',
    otelFallbacks: [{ envVar: 'OTEL_PROPAGATORS' }],
    type: 'list',
    default: ['tracecontext', 'baggage'],
    parse: parsePropagators,
    doc: `Context propagation formats, comma-separated: ${PROPAGATOR_NAMES.join(', ')} (b3 is the single header, b3multi the X-B3-* headers).`,
  }),
  option({
    key: 'resourceDetectors',
    envVar: undefined,
    otelFallbacks: [{ envVar: 'OTEL_NODE_RESOURCE_DETECTORS' }],
    type: 'list',
    default: DEFAULT_RESOURCE_DETECTORS,
    parse: parseResourceDetectors,
    doc: `Resource detectors, comma-separated: ${RESOURCE_DETECTOR_NAMES.join(', ')}. The cloud ones (aws, gcp, azure, alibaba) call metadata endpoints, so they run only when named (or with all).`,
  }),
  ...SPAN_LIMIT_OPTIONS,
  ...HEADER_CAPTURE_OPTIONS,
  option({
    key: 'ignorePaths',
    envVar: 'TRACING_IGNORE_PATHS',
    otelFallbacks: [],
    type: 'list',
    default: [],
    parse: parsePathGlobs,
    doc: 'Request paths that get no span and no export, comma-separated globs (`*` in a segment, `**` across): e.g. /healthz,/ready,/metrics.',
  }),
  option({
    key: 'instrumentations',
    envVar: 'TRACING_INSTRUMENTATIONS',
    otelFallbacks: [
      {
        envVar: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
        note: "exactly these, fs included, minus OTEL_NODE_DISABLED_INSTRUMENTATIONS, as upstream's register",
        parse: parseOtelEnabledInstrumentations,
      },
      { envVar: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', note: 'the defaults minus these', parse: parseOtelDisabledInstrumentations },
    ],
    type: 'list',
    default: defaultInstrumentations(),
    defaultDoc:
      "upstream register's set: every @opentelemetry/instrumentation-* of auto-instrumentations-node@0.80.0 except fs, router, dns and net (and the metrics-only host-metrics, runtime-node)",
    parse: parseInstrumentations,
    doc: 'Instrumentations, comma-separated short names of @opentelemetry/instrumentation-* (fetch = undici, https = http): a plain list replaces the defaults (`http,pg`), a list of +name/-name edits them (`+fs,+dns,-pg`). Each loads when the module it patches is first required or imported. Without http, requests get no server span: no trace_id in error bodies (warned at start).',
  }),
  option({
    key: 'expressMiddlewareSpans',
    envVar: 'TRACING_EXPRESS_MIDDLEWARE_SPANS',
    otelFallbacks: [],
    type: 'enum',
    default: 'auto',
    parse: oneOf(EXPRESS_MIDDLEWARE_SPAN_MODES, 'express middleware span mode'),
    doc: 'Spans for express middleware, routers and request handlers: auto (a layer span is exported only when the layer errs, takes >= 1 ms, or has a child span or its id is read), all (one per layer, as upstream instrumentation-express), none (no layer spans; the server span still gets the route and the errors).',
  }),
  option({
    key: 'esmHook',
    envVar: 'TRACING_ESM_HOOK',
    otelFallbacks: [],
    type: 'enum',
    default: 'auto',
    parse: oneOf(ESM_HOOK_MODES, 'ESM hook mode'),
    doc: 'ESM loader hook (instruments `import`ed packages): auto (only for an .mjs / "type": "module" entry point or --import), on, off. It costs ~100 ms of startup.',
  }),
  option({
    key: 'maxQueueSize',
    envVar: 'TRACING_MAX_QUEUE_SIZE',
    otelFallbacks: [{ envVar: 'OTEL_BSP_MAX_QUEUE_SIZE' }],
    type: 'integer',
    default: 2048,
    parse: parseQueueLength,
    doc: `Spans buffered before new ones are dropped (1 to ${MAX_QUEUE_SIZE}).`,
  }),
  option({
    key: 'batchSize',
    envVar: 'TRACING_BATCH_SIZE',
    otelFallbacks: [{ envVar: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE' }],
    type: 'integer',
    default: 512,
    parse: parseQueueLength,
    doc: 'Spans per export request; at most the queue size.',
  }),
  option({
    key: 'scheduleDelayMs',
    envVar: 'TRACING_SCHEDULE_DELAY_MS',
    otelFallbacks: [{ envVar: 'OTEL_BSP_SCHEDULE_DELAY' }],
    type: 'integer',
    default: 5000,
    parse: parsePositiveDurationMs,
    doc: 'Milliseconds between exports (at most 10 minutes).',
  }),
  option({
    key: 'exportTimeoutMs',
    envVar: 'TRACING_EXPORT_TIMEOUT_MS',
    otelFallbacks: [{ envVar: 'OTEL_BSP_EXPORT_TIMEOUT' }],
    type: 'integer',
    default: 30000,
    parse: parsePositiveDurationMs,
    doc: 'Milliseconds before one export request is abandoned (at most 10 minutes).',
  }),
  option({
    key: 'shutdownTimeoutMs',
    envVar: 'TRACING_SHUTDOWN_TIMEOUT_MS',
    otelFallbacks: [],
    type: 'integer',
    default: 5000,
    parse: parsePositiveDurationMs,
    doc: 'Milliseconds the agent may delay process exit to flush spans (at most 10 minutes).',
  }),
  option({
    key: 'logLevel',
    envVar: 'TRACING_LOG_LEVEL',
    otelFallbacks: [{ envVar: 'OTEL_LOG_LEVEL', note: 'verbose and all mean debug', parse: parseOtelLogLevel }],
    type: 'enum',
    default: 'warn',
    parse: oneOf(LOG_LEVELS, 'log level'),
    doc: `Agent diagnostics on stderr: ${LOG_LEVELS.join(', ')}.`,
  }),
  option({
    key: 'metricsExporters',
    envVar: 'TRACING_METRICS',
    otelFallbacks: [
      {
        envVar: 'OTEL_METRICS_EXPORTER',
        note: `otlp, prometheus, console, none; otlp per ${OTLP_METRICS_PROTOCOL_VARIABLES.join(' / ')}, else http/protobuf as upstream`,
        parse: parseOtelMetricsExporter,
      },
    ],
    type: 'list',
    default: ['none'],
    defaultDoc: '`none` (off: nothing metrics-related is loaded)',
    parse: parseTracingMetrics,
    doc: `HTTP request metrics with exemplars (and runtime metrics), comma-separated: ${METRICS_EXPORTER_NAMES.join(', ')} (otlp is gRPC unless OTEL_EXPORTER_OTLP_METRICS_PROTOCOL says http/protobuf; prometheus serves a scrape endpoint; false means none).`,
  }),
  option({
    key: 'metricsEndpoint',
    envVar: 'TRACING_METRICS_ENDPOINT',
    otelFallbacks: [
      { envVar: 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', note: 'as-is', appliesWhen: usesOtlpMetrics },
      { envVar: 'OTEL_EXPORTER_OTLP_ENDPOINT', note: 'otlp-http appends /v1/metrics', appliesWhen: usesOtlpMetrics, parse: parseOtlpMetricsBaseEndpoint },
    ],
    type: 'url',
    default: undefined,
    defaultDoc: "the spans' endpoint when it speaks the same protocol, else http://localhost:4317 (gRPC) or http://localhost:4318/v1/metrics",
    derivedDefault: metricsEndpointFromTraces,
    parse: parseHttpUrl,
    whenUnset: "the OTLP metrics exporter's default endpoint",
    doc: "Collector URL for OTLP metrics (http:// or https://), used as written; TLS settings are the spans'.",
  }),
  option({
    key: 'metricsHeaders',
    envVar: 'TRACING_METRICS_HEADERS',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_OTLP_METRICS_HEADERS' }, { envVar: 'OTEL_EXPORTER_OTLP_HEADERS' }],
    type: 'key=value list',
    default: {},
    defaultDoc: 'TRACING_HEADERS',
    derivedDefault: (ctx) =>
      ctx.resolved.headers !== undefined && Object.keys(ctx.resolved.headers).length > 0
        ? { value: { ...ctx.resolved.headers }, source: 'TRACING_HEADERS' }
        : undefined,
    parse: keyValueList({ kind: 'header' }),
    secret: true,
    doc: 'Headers sent with OTLP metrics, `k=v,k2=v2`, values percent-decoded; never printed.',
  }),
  option({
    key: 'metricsExportIntervalMs',
    envVar: 'TRACING_METRICS_INTERVAL_MS',
    otelFallbacks: [{ envVar: 'OTEL_METRIC_EXPORT_INTERVAL' }],
    type: 'integer',
    default: 60000,
    parse: integerBetween(100, TEN_MINUTES_MS, ' milliseconds'),
    doc: 'Milliseconds between OTLP (and console) metrics exports; a last export happens at exit. Prometheus scrapes on its own schedule.',
  }),
  option({
    key: 'prometheusHost',
    envVar: 'TRACING_PROMETHEUS_HOST',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_PROMETHEUS_HOST' }],
    type: 'string',
    default: '0.0.0.0',
    parse: textMatching(/^[A-Za-z0-9._:%[\]-]{1,253}$/, 'a host name or IP address', 'host'),
    doc: "Address the Prometheus scrape endpoint listens on (all IPv4 interfaces by default, as upstream's exporter; 127.0.0.1 for loopback only).",
  }),
  option({
    key: 'prometheusPort',
    envVar: 'TRACING_PROMETHEUS_PORT',
    otelFallbacks: [{ envVar: 'OTEL_EXPORTER_PROMETHEUS_PORT' }],
    type: 'integer',
    default: 9464,
    parse: integerBetween(1, 65535),
    doc: 'Port of the Prometheus scrape endpoint (any path; OpenMetrics with exemplars when the scraper asks for it, else the classic text format).',
  }),
  option({
    key: 'runtimeMetrics',
    envVar: 'TRACING_METRICS_RUNTIME',
    otelFallbacks: [],
    type: 'boolean',
    default: true,
    parse: parseBoolean,
    doc: 'With metrics on: event loop delay, heap and GC metrics (@opentelemetry/instrumentation-runtime-node).',
  }),
  option({
    key: 'piiMasking',
    envVar: 'TRACING_PII_MASKING',
    otelFallbacks: [],
    type: 'boolean',
    default: true,
    parse: parseBoolean,
    doc: 'Mask personal data in spans before export.',
  }),
  option({
    key: 'piiPatterns',
    envVar: 'TRACING_PII_PATTERNS',
    otelFallbacks: [],
    type: 'JSON array or string',
    default: [],
    parse: parsePiiPatterns,
    doc: 'Extra regexes to mask: a JSON array of strings, or one regex.',
  }),
  option({
    key: 'piiKeys',
    envVar: 'TRACING_PII_KEYS',
    otelFallbacks: [],
    type: 'list',
    default: [],
    parse: parsePiiKeys,
    doc: 'Extra attribute/field names whose values are always masked, comma-separated (case-insensitive).',
  }),
  option({
    key: 'piiClientIp',
    envVar: 'TRACING_PII_CLIENT_IP',
    otelFallbacks: [],
    type: 'enum',
    // mask: a client IP is personal data under GDPR (CJEU C-582/14, Breyer), and a /24 still narrows a
    // person down to a few hundred addresses, so only full masking keeps the promise by default.
    default: 'mask',
    parse: oneOf(CLIENT_IP_MODES, 'client IP mode'),
    doc: 'Client IP addresses (client.address, network.peer.address of server spans, X-Forwarded-For): mask, truncate (IPv4 /24, IPv6 /48) or keep.',
  }),
  option({
    key: 'captureStacktrace',
    envVar: 'TRACING_CAPTURE_STACKTRACE',
    otelFallbacks: [],
    type: 'boolean',
    default: true,
    parse: parseBoolean,
    doc: 'Record the stack trace of errors on the span.',
  }),
  option({
    key: 'errorBodyTraceId',
    envVar: 'TRACING_ERROR_BODY_TRACE_ID',
    otelFallbacks: [],
    type: 'boolean',
    default: true,
    parse: parseBoolean,
    doc: 'Add the trace id to JSON error response bodies.',
  }),
  option({
    key: 'errorBodyField',
    envVar: 'TRACING_ERROR_BODY_FIELD',
    otelFallbacks: [],
    type: 'string',
    default: 'trace_id',
    parse: parseErrorBodyFieldName,
    doc: 'Name of the trace id field added to JSON error bodies.',
  }),
  option({
    key: 'errorStatusMin',
    envVar: 'TRACING_ERROR_STATUS_MIN',
    otelFallbacks: [],
    type: 'integer',
    default: 400,
    parse: integerBetween(100, 599),
    doc: 'Lowest HTTP status treated as an error response (100 to 599).',
  }),
  option({
    key: 'responseHeader',
    envVar: 'TRACING_RESPONSE_HEADER',
    otelFallbacks: [],
    type: 'boolean',
    default: false,
    parse: parseBoolean,
    doc: 'Send the trace id to clients in a response header.',
  }),
] as const;

// Compile-time proof that every AgentConfig field has a row: a missing one makes this `true` unassignable.
type MissingRows = Exclude<ConfigKey, (typeof CONFIG_OPTIONS)[number]['key']>;
const everyFieldHasARow: [MissingRows] extends [never] ? true : MissingRows = true;
void everyFieldHasARow;

/** The rows as a plain list, for code that handles any option. */
export const ALL_OPTIONS: readonly AnyConfigOption[] = CONFIG_OPTIONS;

/** Every TRACING_* variable the agent reads. */
export const TRACING_VARIABLES: readonly string[] = ALL_OPTIONS.flatMap((row) => (row.envVar === undefined ? [] : [row.envVar]));

export function optionFor<K extends ConfigKey>(key: K): ConfigOption<K> {
  return ALL_OPTIONS.find((row) => row.key === key) as unknown as ConfigOption<K>;
}

/** A fresh copy of the static defaults (arrays and objects are not shared between calls). */
export function defaultConfig(): AgentConfig {
  const config: Partial<Record<ConfigKey, unknown>> = {};
  for (const row of ALL_OPTIONS) config[row.key] = cloneValue(row.default);
  return config as AgentConfig;
}

export function cloneValue<T>(value: T): T {
  if (Array.isArray(value)) return [...value] as T;
  if (typeof value === 'object' && value !== null) return { ...value };
  return value;
}

/**
 * A value as people read it (CLI table, "using ..." in problem lines): lists comma-joined,
 * maps as k=v, secret values as ***, URL credentials masked.
 */
export function displayValue(row: AnyConfigOption, value: unknown): string {
  if (value === undefined) return row.whenUnset !== undefined ? `(unset: ${row.whenUnset})` : '(unset)';
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : value.join(',');
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, string>);
    if (entries.length === 0) return '(none)';
    return entries.map(([key, entryValue]) => `${key}=${row.secret ? '***' : entryValue}`).join(',');
  }
  const text = String(value);
  return row.type === 'url' ? redactUrlCredentials(text) : text;
}

/** A copy safe to print: secret maps keep their keys with values `***`, URL credentials masked. */
export function redactSecrets(config: AgentConfig): AgentConfig {
  const copy: Record<string, unknown> = { ...config };
  for (const row of ALL_OPTIONS) {
    const value = copy[row.key];
    if (row.secret && typeof value === 'object' && value !== null) {
      copy[row.key] = Object.fromEntries(Object.keys(value).map((key) => [key, '***']));
    } else if (row.type === 'url' && typeof value === 'string') {
      copy[row.key] = redactUrlCredentials(value);
    }
  }
  return copy as unknown as AgentConfig;
}

/** A value as it would be written in an env file (the static default, for the example file). */
export function envFileValue(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, string>)
      .map(([key, entryValue]) => `${key}=${entryValue}`)
      .join(',');
  }
  return String(value);
}
