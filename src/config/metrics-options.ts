/**
 * Parsers for the metrics rows of the config table (TRACING_METRICS and the OTEL_METRICS_* / OTEL_EXPORTER_OTLP_METRICS_*
 * fallbacks). Kept apart from the span exporters' parsers: metrics have their own exporter names (prometheus) and
 * their own OTLP signal path (/v1/metrics).
 */
import type { ValueParser } from './option-types';
import type { ResolveContext } from './option-types';
import type { MetricsExporterName } from './types';
import { METRICS_EXPORTER_NAMES } from './types';
import { parseHttpUrl, splitCommaList } from './value-parsers';

export const OTLP_METRICS_PROTOCOL_VARIABLES = ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'];

/** A comma list of metrics exporter names; `otlp` mapped by `mapOtlp` (the OTEL_ variable follows the protocol). */
function metricsExporterList(accepted: readonly string[], mapOtlp: (ctx: ResolveContext) => MetricsExporterName): ValueParser<MetricsExporterName[]> {
  return (raw, variable, ctx) => {
    const names = splitCommaList(raw).map((name) => name.toLowerCase());
    // Our short form also takes a switch: TRACING_METRICS=false/off is "none".
    if (names.length === 1 && (names[0] === 'false' || names[0] === 'off')) return { value: ['none'] };
    const unknown = names.filter((name) => !accepted.includes(name));
    let exporters = [
      ...new Set(names.filter((name) => accepted.includes(name)).map((name) => (name === 'otlp' ? mapOtlp(ctx) : (name as MetricsExporterName)))),
    ];
    if (exporters.includes('none') && exporters.length > 1) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: 'combines "none" with other metrics exporters', instead: 'ignoring "none"' });
      exporters = exporters.filter((name) => name !== 'none');
    }
    for (const name of unknown) {
      ctx.report({
        variable,
        shownValue: raw,
        whatIsWrong: `names an unknown metrics exporter ${JSON.stringify(name)} (expected ${accepted.join(', ')})`,
        instead: exporters.length > 0 ? 'ignoring it' : undefined,
      });
    }
    if (names.length === 0) ctx.report({ variable, shownValue: raw, whatIsWrong: 'names no metrics exporter' });
    return exporters.length > 0 ? { value: exporters } : undefined;
  };
}

/** grpc -> otlp, http/protobuf (and http/json, not implemented) -> otlp-http; undefined when unset or garbage. */
function otlpMetricsFlavour(ctx: ResolveContext): MetricsExporterName | undefined {
  const variable = OTLP_METRICS_PROTOCOL_VARIABLES.find((name) => ctx.read(name) !== undefined);
  if (variable === undefined) return undefined;
  const protocol = (ctx.read(variable) as string).toLowerCase();
  if (protocol === 'grpc') return 'otlp';
  if (protocol === 'http/protobuf' || protocol === 'http/json') return 'otlp-http';
  ctx.report({ variable, shownValue: protocol, whatIsWrong: 'is not a known OTLP protocol (expected grpc, http/protobuf)' });
  return undefined;
}

/** TRACING_METRICS: our names; `otlp` is gRPC like TRACING_EXPORTER's, unless a metrics protocol variable says otherwise. */
export const parseTracingMetrics = metricsExporterList(METRICS_EXPORTER_NAMES, (ctx) => otlpMetricsFlavour(ctx) ?? 'otlp');

/** OTEL_METRICS_EXPORTER: upstream's names; its `otlp` follows the protocol variables, else upstream's default http/protobuf. */
export const parseOtelMetricsExporter = metricsExporterList(['otlp', 'prometheus', 'console', 'none'], (ctx) => otlpMetricsFlavour(ctx) ?? 'otlp-http');

export function usesOtlpMetrics(ctx: ResolveContext): boolean {
  const exporters = ctx.resolved.metricsExporters ?? [];
  return exporters.includes('otlp') || exporters.includes('otlp-http');
}

/** OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: the HTTP exporter appends /v1/metrics (gRPC uses it as is). */
export const parseOtlpMetricsBaseEndpoint: ValueParser<string> = (raw, variable, ctx) => {
  const parsed = parseHttpUrl(raw, variable, ctx);
  if (parsed === undefined) return undefined;
  const exporters = ctx.resolved.metricsExporters ?? [];
  if (!exporters.includes('otlp-http') || exporters.includes('otlp')) return parsed;
  const url = new URL(parsed.value);
  url.pathname = url.pathname.replace(/\/?$/, '/v1/metrics');
  return { value: url.href };
};

/**
 * No metrics endpoint of its own: the spans' collector, when the same protocol sends there (a gRPC
 * endpoint serves every signal; an HTTP one ending in /v1/traces gets /v1/metrics instead).
 */
export function metricsEndpointFromTraces(ctx: ResolveContext): { value: string; source: string } | undefined {
  const { endpoint, exporters = [], metricsExporters = [] } = ctx.resolved;
  if (endpoint === undefined) return undefined;
  if (metricsExporters.includes('otlp') && exporters.includes('otlp')) return { value: endpoint, source: "the spans' endpoint" };
  if (metricsExporters.includes('otlp-http') && exporters.includes('otlp-http') && /\/v1\/traces\/?$/.test(new URL(endpoint).pathname)) {
    const url = new URL(endpoint);
    url.pathname = url.pathname.replace(/\/v1\/traces\/?$/, '/v1/metrics');
    return { value: url.href, source: "the spans' endpoint, /v1/metrics" };
  }
  return undefined;
}

export function isMetricsOn(exporters: readonly MetricsExporterName[]): boolean {
  return exporters.some((name) => name !== 'none');
}
