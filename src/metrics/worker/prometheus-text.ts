/**
 * The Prometheus exposition of a snapshot, in two formats:
 * - OpenMetrics 1.0 (https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md),
 *   served when the scrape's Accept asks for application/openmetrics-text: bucket lines carry their
 *   exemplar, `# {trace_id="…",span_id="…"} <value> <timestamp>`, which Prometheus stores with
 *   --enable-feature=exemplar-storage;
 * - the classic text format 0.0.4 for every other scraper (no exemplars: it has no syntax for them).
 * Names follow the OpenTelemetry-to-Prometheus rules: `.` and other characters become `_`, the unit
 * becomes a suffix (s: _seconds, By: _bytes, 1: _ratio; {annotations} none), counters end in _total;
 * the resource is one `target_info` series.
 */
import type { HistogramMetric, MetricAttributes, MetricSnapshot, MetricsSnapshot, NumberMetric } from '../snapshot';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
export const CLASSIC_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const UNIT_SUFFIXES: Readonly<Record<string, string>> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', '1': 'ratio' };

export function prometheusName(name: string): string {
  const sanitized = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_+/g, '_');
  return /^[0-9]/.test(sanitized) ? `_${sanitized}` : sanitized;
}

function labelName(name: string): string {
  const sanitized = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(sanitized) ? `_${sanitized}` : sanitized;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function labels(attributes: MetricAttributes, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(attributes)) parts.push(`${labelName(key)}="${escapeLabelValue(String(value))}"`);
  if (extra !== undefined) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function familyName(metric: MetricSnapshot): { family: string; unit: string | undefined } {
  let family = prometheusName(metric.name);
  const unit = UNIT_SUFFIXES[metric.unit];
  if (unit !== undefined && !family.endsWith(`_${unit}`)) family = `${family}_${unit}`;
  return { family, unit };
}

function renderHistogram(metric: HistogramMetric, openMetrics: boolean, out: string[]): void {
  const { family, unit } = familyName(metric);
  out.push(`# HELP ${family} ${escapeHelp(metric.description)}`, `# TYPE ${family} histogram`);
  if (openMetrics && unit !== undefined) out.push(`# UNIT ${family} ${unit}`);
  const bounds = [...metric.bounds.map(formatNumber), '+Inf'];
  for (const point of metric.points) {
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += point.bucketCounts[i] ?? 0;
      let line = `${family}_bucket${labels(point.attributes, ['le', bounds[i]])} ${cumulative}`;
      const sample = point.exemplars[i];
      if (openMetrics && sample !== null && sample !== undefined) {
        line += ` # {trace_id="${sample.traceId}",span_id="${sample.spanId}"} ${formatNumber(sample.value)} ${(sample.timeMs / 1000).toFixed(3)}`;
      }
      out.push(line);
    }
    out.push(`${family}_count${labels(point.attributes)} ${point.count}`, `${family}_sum${labels(point.attributes)} ${formatNumber(point.sum)}`);
  }
}

function renderNumber(metric: NumberMetric, openMetrics: boolean, out: string[]): void {
  const { family: base, unit } = familyName(metric);
  const counter = metric.kind === 'sum' && metric.monotonic;
  // OpenMetrics names the counter family without _total and its sample with it; the classic format names both with it.
  const family = counter && !openMetrics ? `${base}_total` : base;
  const sample = counter ? `${base}_total` : base;
  out.push(`# HELP ${family} ${escapeHelp(metric.description)}`, `# TYPE ${family} ${counter ? 'counter' : 'gauge'}`);
  if (openMetrics && unit !== undefined) out.push(`# UNIT ${family} ${unit}`);
  for (const point of metric.points) out.push(`${sample}${labels(point.attributes)} ${formatNumber(point.value)}`);
}

export function renderPrometheus(snapshot: MetricsSnapshot, resourceAttributes: MetricAttributes, openMetrics: boolean): string {
  const out: string[] = [];
  // OpenMetrics names an info family without its _info suffix; the classic format has no info type.
  if (openMetrics) out.push('# HELP target Target metadata', '# TYPE target info');
  else out.push('# HELP target_info Target metadata', '# TYPE target_info gauge');
  out.push(`target_info${labels(resourceAttributes)} 1`);
  // One family per name: metrics of the same name from two scopes would be rejected as duplicates.
  const seen = new Set<string>();
  for (const metric of snapshot.metrics) {
    if (metric.points.length === 0) continue;
    const { family } = familyName(metric);
    if (seen.has(family)) continue;
    seen.add(family);
    if (metric.kind === 'histogram') renderHistogram(metric, openMetrics, out);
    else renderNumber(metric, openMetrics, out);
  }
  if (openMetrics) out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** Whether the scraper asked for OpenMetrics (Prometheus sends it first in Accept when it can take exemplars). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}
