/** The report as aligned plain-text tables (the default output of `otel-agent report`). */
import type { Report, ReportFilters, TraceTree } from './model';
import { dateOfUnixNano, formatPercent, msDigits } from './format';
import { orderTree } from './trace-tree';

/** Columns separated by at least two spaces, so `split(/ {2,}/)` gives the cells back. */
export function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((text, column) => (column === row.length - 1 ? text : text.padEnd(widths[column]))).join('  '));
}

export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? msDigits(ms) : '-';
}

export function describeFilters(filters: ReportFilters): string {
  const parts: string[] = [];
  if (filters.sinceMs !== undefined) parts.push(`since ${filters.sinceMs} ms before the newest span`);
  if (filters.service !== undefined) parts.push(`service ${filters.service}`);
  if (filters.route !== undefined) parts.push(`route ${filters.route}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** Nanosecond timestamps as ISO time, the way people read them in an incident. */
export function formatTime(unixNano: string): string {
  return dateOfUnixNano(unixNano)?.toISOString() ?? '-';
}

export function renderText(report: Report): string {
  const out: string[] = [];
  const { input } = report;
  out.push(
    `Input: ${input.files.length} file${input.files.length === 1 ? '' : 's'}, ${input.lines} lines, ${input.spans} spans, ` +
      `${input.badLines} bad line${input.badLines === 1 ? '' : 's'}, ${input.filteredOut} filtered out`,
  );
  out.push(`Filters: ${describeFilters(report.filters)}`, '');

  out.push(
    report.input.keptByOutcome > 0
      ? `Latency per operation (head-sampled SERVER spans, slowest p95 first; ${report.input.keptByOutcome} kept for their outcome left out)`
      : 'Latency per operation (SERVER spans, slowest p95 first)',
  );
  if (report.latency.length === 0) out.push('  none');
  else
    out.push(
      ...alignColumns([
        ['SERVICE', 'OPERATION', 'COUNT', 'ERRORS', 'P50 MS', 'P95 MS', 'P99 MS', 'MAX MS'],
        ...report.latency.map((row) => [
          row.service,
          row.operation,
          String(row.count),
          `${row.errorCount} (${formatPercent(row.errorRate)})`,
          formatMs(row.p50Ms),
          formatMs(row.p95Ms),
          formatMs(row.p99Ms),
          formatMs(row.maxMs),
        ]),
      ]),
    );
  out.push('');

  const { errors } = report;
  out.push(
    `Errors: ${errors.total} trace${errors.total === 1 ? '' : 's'} with errors${errors.total > errors.traces.length ? ` (newest ${errors.traces.length} shown)` : ''}`,
  );
  if (errors.traces.length > 0)
    out.push(
      ...alignColumns([
        ['TRACE ID', 'STARTED', 'ROOT', 'STATUS', 'ERROR'],
        ...errors.traces.map((trace) => [
          trace.traceId,
          formatTime(trace.startTimeUnixNano),
          `${trace.service} ${trace.operation}`,
          trace.statusCode === undefined ? '-' : String(trace.statusCode),
          [trace.exceptionType, trace.exceptionMessage].filter((part) => part !== undefined && part !== '').join(': ') || '-',
        ]),
      ]),
    );
  out.push('');

  out.push('Service graph (calls from CLIENT spans)');
  if (report.graph.edges.length === 0) out.push('  none');
  else
    out.push(
      ...alignColumns([
        ['FROM', 'TO', 'CALLS', 'ERRORS'],
        ...report.graph.edges.map((edge) => [
          edge.from,
          edge.uninstrumented ? `${edge.to} (uninstrumented)` : edge.to,
          String(edge.calls),
          String(edge.errors),
        ]),
      ]),
    );
  out.push('');

  out.push(`Slowest traces (${report.slowest.length})`);
  if (report.slowest.length === 0) out.push('  none');
  for (const trace of report.slowest) out.push(...renderTree(trace, false), '');
  return out.join('\n').replace(/\n*$/, '\n');
}

/** A trace as an indented tree; with `details`, every span's attributes and events under it. */
export function renderTree(trace: TraceTree, details: boolean): string[] {
  const out = [`Trace ${trace.traceId}  ${formatMs(trace.durationMs)} ms  ${trace.service} ${trace.operation}${trace.hasError ? '  ERROR' : ''}`];
  const lines = orderTree(trace.spans);
  const labels = lines.map(({ span, depth }) => `${'  '.repeat(depth + 1)}${span.kind} ${span.service} ${span.name}`);
  const width = Math.max(0, ...labels.map((label) => label.length));
  lines.forEach(({ span, depth }, index) => {
    const error = span.status.code === 'ERROR' || span.events.some((event) => event.name === 'exception');
    out.push(`${labels[index].padEnd(width)}  ${formatMs(span.durationMs).padStart(8)} ms${error ? '  ERROR' : ''}`);
    if (!details) return;
    const indent = '  '.repeat(depth + 2) + '  ';
    if (span.status.code !== 'UNSET') out.push(`${indent}status: ${span.status.code}${span.status.message ? ` ${span.status.message}` : ''}`);
    for (const [key, value] of Object.entries(span.attributes)) out.push(`${indent}${key}: ${formatValue(value)}`);
    for (const event of span.events) {
      out.push(`${indent}event ${event.name} at ${formatTime(event.timeUnixNano)}`);
      for (const [key, value] of Object.entries(event.attributes ?? {})) {
        const text = formatValue(value).replace(/\n/g, `\n${indent}    `);
        out.push(`${indent}  ${key}: ${text}`);
      }
    }
  });
  return out;
}

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function renderTraceText(trace: TraceTree): string {
  return renderTree(trace, true).join('\n') + '\n';
}
