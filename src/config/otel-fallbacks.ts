/**
 * How standard OTEL_* variables map onto options whose TRACING_* variable is unset.
 * Spec: https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 * and https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
import type { ExporterName, LogLevel } from './types';
import type { OtelFallback, ResolveContext, ValueParser } from './option-types';
import type { Problem } from './problem-line';
import { keyValueList, numberBetween, oneOf, parseHttpUrl } from './value-parsers';
import { exporterList } from './option-parsers';

/** OTEL_SDK_DISABLED=true means enabled=false. */
/**
 * OTEL_SDK_DISABLED: only a case-insensitive `true` disables (the specification's boolean rule: any
 * other value means false); a value that is neither true nor false is one warning.
 */
export const parseSdkDisabled: ValueParser<boolean> = (raw, variable, ctx) => {
  const value = raw.toLowerCase();
  if (value === 'true') return { value: false };
  if (value !== 'false') ctx.report({ variable, shownValue: raw, whatIsWrong: 'is neither true nor false (only true disables)', instead: 'tracing stays on' });
  return { value: true };
};

export const RESOURCE_ATTRIBUTES_VARIABLE = 'OTEL_RESOURCE_ATTRIBUTES';

export const parseResourceAttributes = keyValueList({ kind: 'attribute' });

/**
 * A fallback that reads the first of `keys` present in OTEL_RESOURCE_ATTRIBUTES and validates it with
 * `parse`; skipped when none is present. A problem line shows `key=value`, not the whole variable.
 */
export function fromResourceAttribute<T>(keys: readonly string[], parse: ValueParser<T>, note: string): OtelFallback<T> {
  const firstPresent = (ctx: ResolveContext): string | undefined => {
    const attributes = ctx.resourceAttributes();
    return keys.find((key) => (attributes[key] ?? '').trim() !== '');
  };
  return {
    envVar: RESOURCE_ATTRIBUTES_VARIABLE,
    note,
    appliesWhen: (ctx) => firstPresent(ctx) !== undefined,
    parse: (_raw, variable, ctx) => {
      const key = firstPresent(ctx) as string;
      const value = ctx.resourceAttributes()[key].trim();
      const scoped: ResolveContext = Object.create(ctx, {
        report: { value: (problem: Problem) => ctx.report({ ...problem, shownValue: `${key}=${value}` }) },
      });
      return parse(value, variable, scoped);
    },
  };
}

export const OTLP_PROTOCOL_VARIABLES = ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'];

/** grpc -> otlp; http/protobuf -> otlp-http; http/json -> otlp-http too, since only protobuf is implemented. */
export const parseOtlpProtocol: ValueParser<ExporterName[]> = (raw, variable, ctx) => {
  const protocol = raw.toLowerCase();
  if (protocol === 'grpc') return { value: ['otlp'] };
  if (protocol === 'http/protobuf') return { value: ['otlp-http'] };
  if (protocol === 'http/json') {
    ctx.report({ variable, shownValue: raw, whatIsWrong: 'asks for OTLP JSON, which the agent does not support', instead: 'using http/protobuf (otlp-http)' });
    return { value: ['otlp-http'] };
  }
  ctx.report({ variable, shownValue: raw, whatIsWrong: 'is not a known OTLP protocol (expected grpc, http/protobuf, http/json)' });
  return undefined;
};

/** The OTLP flavour the protocol variables ask for: the first one set decides; undefined if none is set or it is garbage. */
function otlpFlavourFromProtocol(ctx: ResolveContext): ExporterName | undefined {
  const variable = OTLP_PROTOCOL_VARIABLES.find((name) => ctx.read(name) !== undefined);
  if (variable === undefined) return undefined;
  return parseOtlpProtocol(ctx.read(variable) as string, variable, ctx)?.value[0];
}

const OTEL_EXPORTER_NAMES = ['otlp', 'jaeger', 'zipkin', 'console', 'none'];

/**
 * OTEL_TRACES_EXPORTER: its 'otlp' follows the protocol variables, else upstream's default protocol,
 * http/protobuf (otlp-http): a user who sets only OTEL_* variables gets what upstream's SDK would do.
 */
export const parseOtelTracesExporter: ValueParser<ExporterName[]> = (raw, variable, ctx) =>
  exporterList(OTEL_EXPORTER_NAMES, (name) => (name === 'otlp' ? (otlpFlavourFromProtocol(ctx) ?? 'otlp-http') : (name as ExporterName)))(raw, variable, ctx);

const OTLP_ENDPOINT_VARIABLES = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'];

/**
 * No exporter variable at all, but an OTEL_* OTLP endpoint: upstream's default protocol (http/protobuf),
 * so `OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318` never receives gRPC. TRACING_* alone keeps gRPC.
 */
export function otelOnlyDefaultExporter(ctx: ResolveContext): { value: ExporterName[]; source: string } | undefined {
  if (ctx.read('TRACING_ENDPOINT') !== undefined) return undefined;
  const variable = OTLP_ENDPOINT_VARIABLES.find((name) => ctx.read(name) !== undefined);
  return variable === undefined ? undefined : { value: ['otlp-http'], source: `${variable} (upstream's default protocol, http/protobuf)` };
}

/** The OTLP endpoint variables mean nothing to jaeger/console/file; applying them there would misroute spans. */
export function usesOtlp(ctx: ResolveContext): boolean {
  const exporters = ctx.resolved.exporters ?? [];
  return exporters.includes('otlp') || exporters.includes('otlp-http');
}

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT: a base URL. OTLP/HTTP appends `v1/traces` to its path (the spec's
 * per-signal rule); gRPC uses it as-is. With both flavours selected, as-is (gRPC ignores the path).
 */
export const parseOtlpBaseEndpoint: ValueParser<string> = (raw, variable, ctx) => {
  const parsed = parseHttpUrl(raw, variable, ctx);
  if (parsed === undefined) return undefined;
  const exporters = ctx.resolved.exporters ?? [];
  if (!exporters.includes('otlp-http') || exporters.includes('otlp')) return parsed;
  const url = new URL(parsed.value);
  url.pathname = url.pathname.replace(/\/?$/, '/v1/traces');
  return { value: url.href };
};

const RATIO_SAMPLERS = ['traceidratio', 'parentbased_traceidratio'];
const SAMPLER_CONSTANTS: Readonly<Record<string, number>> = {
  always_on: 1,
  parentbased_always_on: 1,
  always_off: 0,
  parentbased_always_off: 0,
};
export const SAMPLER_ARG_VARIABLE = 'OTEL_TRACES_SAMPLER_ARG';
const parseRatio = numberBetween(0, 1);

/**
 * OTEL_TRACES_SAMPLER: always_* are 0 or 1; the ratio samplers read OTEL_TRACES_SAMPLER_ARG
 * (defaulting to 1, as the spec does). Others (jaeger_remote, xray) are not supported.
 */
export const parseOtelSampler: ValueParser<number> = (raw, variable, ctx) => {
  const sampler = raw.toLowerCase();
  if (sampler in SAMPLER_CONSTANTS) return { value: SAMPLER_CONSTANTS[sampler] };
  if (RATIO_SAMPLERS.includes(sampler)) {
    const arg = ctx.read(SAMPLER_ARG_VARIABLE);
    if (arg === undefined) return { value: 1 };
    const ratio = parseRatio(arg, SAMPLER_ARG_VARIABLE, ctx);
    return ratio === undefined ? undefined : { value: ratio.value, source: SAMPLER_ARG_VARIABLE };
  }
  ctx.report({
    variable,
    shownValue: raw,
    whatIsWrong: `is not a sampler the agent supports (expected ${[...Object.keys(SAMPLER_CONSTANTS), ...RATIO_SAMPLERS].join(', ')})`,
  });
  return undefined;
};

/**
 * OTEL_TRACES_SAMPLER_ARG is the argument of a ratio sampler (the specification): it means nothing
 * unless OTEL_TRACES_SAMPLER names one (reported by load-config's cross-checks when set alone).
 */
export function samplerArgApplies(ctx: ResolveContext): boolean {
  const sampler = ctx.read('OTEL_TRACES_SAMPLER')?.toLowerCase();
  return sampler !== undefined && RATIO_SAMPLERS.includes(sampler);
}

/** Whether OTEL_TRACES_SAMPLER names a sampler the agent knows; the value's own problems are reported by sampleRate. */
export function isKnownOtelSampler(name: string): boolean {
  return name in SAMPLER_CONSTANTS || RATIO_SAMPLERS.includes(name);
}

/** always_on, always_off and traceidratio ignore the parent's decision; the parentbased_* ones follow it. */
export const parseOtelSamplerParentBased: ValueParser<boolean> = (raw) => {
  const sampler = raw.toLowerCase();
  return isKnownOtelSampler(sampler) ? { value: sampler.startsWith('parentbased_') } : undefined;
};

/** TRACING_SAMPLE_RATE is the parent-based ratio and wins over OTEL_TRACES_SAMPLER, as every TRACING_* does. */
export function otelSamplerApplies(ctx: ResolveContext): boolean {
  return ctx.read('TRACING_SAMPLE_RATE') === undefined;
}

const OTEL_LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
const parseOtelLogLevelName = oneOf(OTEL_LOG_LEVELS, 'log level');

/** OTEL_LOG_LEVEL: verbose and all have no counterpart here; debug is the most detail we log. */
export const parseOtelLogLevel: ValueParser<LogLevel> = (raw, variable, ctx) => {
  const parsed = parseOtelLogLevelName(raw, variable, ctx);
  if (parsed === undefined) return undefined;
  return { value: parsed.value === 'verbose' || parsed.value === 'all' ? 'debug' : parsed.value };
};
