/**
 * `buildReport(files, options)`: the whole report in a few streaming passes, never holding a file
 * or its spans. Re-reads are cheap: they peek at each line's trace ids and parse only the few
 * lines they keep. A line is one span (the old per-span format) or one OTLP/JSON batch of many
 * (read-spans.ts tells them apart); every pass works span by span either way.
 *
 *   0. (only with --since) find the newest span end, which the window counts back from.
 *   1. Parse every line: latency series, service graph, counts, the N slowest root spans, and the
 *      ids of traces that have an error.
 *   2. Collect the spans of the slowest traces and --trace; parse the roots of the error traces
 *      to count those matching the filters and rank them, keeping only the newest `limit`.
 *   2b. (only if some error trace has no root in the input) their earliest span stands in.
 *   3. Collect the spans of the listed error traces; their rows are described from those spans.
 *
 * Retained memory: 8 bytes per SERVER span (latency), one packed number per cross-service call
 * still waiting for its other side, one id per error trace (until its root is read in pass 2),
 * and the spans of the shown traces.
 */
import type { JsonSpan } from '../sdk/json-lines-exporter';
import { ATTR_KEPT_BY } from '../sdk/kept-by';
import type { ErrorTrace, OperationLatency, Report, ReportFilters, ReportSpan, TraceTree } from './model';
import { inWindow, spanMatches } from './filters';
import { DurationSeries, summarizeLatency } from './percentiles';
import { compareNanos, forEachLine, forEachSpanOfLine, isExporterSpanLine, lineMentionsTrace, peekEndTimeMs } from './read-spans';
import { ServiceGraphBuilder } from './service-graph';
import { firstExceptionOf, isErrorSpan, operationOf, peerOf, serviceOf, statusCodeOf, toReportSpan } from './span-facts';
import { buildTraceTree } from './trace-tree';

export const DEFAULT_ERROR_LIMIT = 20;
export const DEFAULT_SLOWEST_LIMIT = 5;

export interface ReportOptions {
  filters?: ReportFilters;
  /** Error traces listed (all are counted). Default 20. */
  errorLimit?: number;
  /** Slowest traces drawn. Default 5. */
  slowestLimit?: number;
  /** Also collect this one trace (`--trace <id>`), unfiltered. */
  traceId?: string;
}

/** A Report, plus the --trace tree when one was asked for. */
export type BuiltReport = Report & { trace?: TraceTree; readFailures?: string[] };

interface OperationStats {
  service: string;
  operation: string;
  durations: DurationSeries;
  errorCount: number;
}

interface SlowRoot {
  traceId: string;
  durationMs: number;
}

export async function buildReport(files: readonly string[], options: ReportOptions = {}): Promise<BuiltReport> {
  // Only the filters that are set: the JSON and HTML show exactly what was asked.
  const filters = Object.fromEntries(Object.entries(options.filters ?? {}).filter(([, value]) => value !== undefined)) as ReportFilters;
  const errorLimit = options.errorLimit ?? DEFAULT_ERROR_LIMIT;
  const slowestLimit = options.slowestLimit ?? DEFAULT_SLOWEST_LIMIT;
  const readFailures: string[] = [];
  const read = async (file: string, onLine: (line: string) => void) => {
    const result = await forEachLine(file, onLine);
    if (result.failure !== undefined) readFailures.push(`${file}: ${result.failure}`);
    return result;
  };

  let newestEndMs = -Infinity;
  if (filters.sinceMs !== undefined) {
    for (const file of files) {
      await forEachLine(file, (line) => {
        const endMs = peekEndTimeMs(line);
        if (endMs !== undefined && endMs > newestEndMs) newestEndMs = endMs;
      });
    }
  }

  // Pass 1.
  const input = { files: [...files], lines: 0, spans: 0, badLines: 0, filteredOut: 0, keptByOutcome: 0 };
  const operations = new Map<string, OperationStats>();
  const graph = new ServiceGraphBuilder();
  const services = new Set<string>();
  const slowRoots: SlowRoot[] = [];
  // Only ids: whether the trace counts depends on its root, which may come later or in another file.
  const errorTraceIds = new Set<string>();

  const onSpan = (span: JsonSpan) => {
    input.spans++;
    const matches = spanMatches(span, filters, newestEndMs);
    if (!matches) input.filteredOut++;
    const service = serviceOf(span);
    const error = isErrorSpan(span);
    if (matches) services.add(service);

    if (span.kind === 'SERVER') {
      // Latency from head-sampled spans only: spans kept for their outcome (errors, slow requests at
      // a low sample rate) are not a representative sample. Errors and the graph use every span.
      if (matches && span.attributes[ATTR_KEPT_BY] === undefined) recordLatency(operations, service, operationOf(span), span.durationMs, error);
      else if (matches) input.keptByOutcome++;
      graph.addServer({ parentSpanId: span.parentSpanId, service, error });
    } else if (span.kind === 'CLIENT') {
      graph.addClient({ spanId: span.spanId, service, peer: peerOf(span), error, counted: inWindow(span, filters, newestEndMs) });
    }
    if (span.parentSpanId === '' && matches) keepSlowest(slowRoots, { traceId: span.traceId, durationMs: span.durationMs }, slowestLimit);
    if (error) errorTraceIds.add(span.traceId);
  };

  for (const file of files) {
    await read(file, (line) => {
      input.lines++;
      if (!forEachSpanOfLine(line, onSpan)) input.badLines++;
    });
  }

  // Pass 2: spans of the slowest traces and --trace; the roots of the error traces, to count and
  // rank them (only root lines are parsed for that).
  const collected = new Map<string, ReportSpan[]>();
  for (const slow of slowRoots) collected.set(slow.traceId, []);
  if (options.traceId !== undefined) collected.set(options.traceId, []);
  const ranking = new ErrorTraceRanking(errorLimit);
  if (collected.size > 0 || errorTraceIds.size > 0) {
    for (const file of files) {
      await forEachLine(file, (line) => {
        // A per-span line of an error trace is parsed only if it is a root; an OTLP line has no such
        // marker (a root simply has no parentSpanId), so it is parsed when it mentions such a trace.
        const rootsWanted = !isExporterSpanLine(line) || line.includes(ROOT_MARKER);
        if (!lineMentionsTrace(line, (traceId) => collected.has(traceId) || (rootsWanted && errorTraceIds.has(traceId)))) return;
        forEachSpanOfLine(line, (span) => {
          collected.get(span.traceId)?.push(toReportSpan(span));
          if (span.parentSpanId === '' && errorTraceIds.has(span.traceId)) {
            errorTraceIds.delete(span.traceId);
            ranking.offer(span.traceId, traceHead(span, spanMatches(span, filters, newestEndMs)));
          }
        });
      });
    }
  }

  // Error traces whose root is not in the input (a file not given, a lost batch): their earliest
  // span stands in. Rare, so one more read only when there are some.
  if (errorTraceIds.size > 0) {
    const earliest = new Map<string, TraceHead>();
    for (const file of files) {
      await forEachLine(file, (line) => {
        if (!lineMentionsTrace(line, (traceId) => errorTraceIds.has(traceId))) return;
        forEachSpanOfLine(line, (span) => {
          if (!errorTraceIds.has(span.traceId)) return;
          const known = earliest.get(span.traceId);
          if (known === undefined || compareNanos(span.startTimeUnixNano, known.startTimeUnixNano) < 0) {
            earliest.set(span.traceId, traceHead(span, spanMatches(span, filters, newestEndMs)));
          }
        });
      });
    }
    for (const [traceId, head] of earliest) ranking.offer(traceId, head);
  }

  // Pass 3: the spans of the listed error traces that pass 2 did not already collect.
  const missing = new Map<string, ReportSpan[]>();
  for (const { traceId } of ranking.newest) if (!collected.has(traceId)) missing.set(traceId, []);
  if (missing.size > 0) {
    for (const file of files) {
      await forEachLine(file, (line) => {
        if (!lineMentionsTrace(line, (traceId) => missing.has(traceId))) return;
        forEachSpanOfLine(line, (span) => missing.get(span.traceId)?.push(toReportSpan(span)));
      });
    }
    for (const [traceId, spans] of missing) collected.set(traceId, spans);
  }

  const tree = (traceId: string) => buildTraceTree(traceId, collected.get(traceId) ?? []);
  const edges = graph.edges().filter((edge) => filters.service === undefined || edge.from === filters.service || edge.to === filters.service);
  for (const edge of edges) {
    services.add(edge.from);
    services.add(edge.to);
  }
  const report: BuiltReport = {
    input,
    filters,
    latency: summarizeOperations(operations),
    errors: {
      total: ranking.total,
      traces: ranking.newest.map(({ traceId, head }) => describeErrorTrace(traceId, head, collected.get(traceId) ?? [])),
    },
    graph: { services: Array.from(services).sort(), edges },
    slowest: slowRoots.map((slow) => tree(slow.traceId)),
    errorTraces: ranking.newest.map(({ traceId }) => tree(traceId)),
  };
  if (options.traceId !== undefined && (collected.get(options.traceId)?.length ?? 0) > 0) report.trace = tree(options.traceId);
  if (readFailures.length > 0) report.readFailures = readFailures;
  return report;
}

/** Every per-span root line has this (values inside attributes are escaped, so they cannot fake it). */
const ROOT_MARKER = '"parentSpanId":""';

function recordLatency(operations: Map<string, OperationStats>, service: string, operation: string, durationMs: number, error: boolean): void {
  const key = `${service}\u0000${operation}`;
  let stats = operations.get(key);
  if (stats === undefined) {
    stats = { service, operation, durations: new DurationSeries(), errorCount: 0 };
    operations.set(key, stats);
  }
  stats.durations.push(durationMs);
  if (error) stats.errorCount++;
}

/** Sorted by p95, slowest first; ties by service and operation so the output is stable. */
export function summarizeOperations(operations: Map<string, OperationStats>): OperationLatency[] {
  return Array.from(operations.values(), (stats) => {
    const count = stats.durations.length;
    return {
      service: stats.service,
      operation: stats.operation,
      count,
      errorCount: stats.errorCount,
      errorRate: count === 0 ? 0 : stats.errorCount / count,
      ...summarizeLatency(stats.durations.sorted()),
    };
  }).sort((a, b) => b.p95Ms - a.p95Ms || a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation));
}

/** Keeps the `limit` slowest in `slowest` (sorted, slowest first): a limit of 5 needs no heap. */
export function keepSlowest(slowest: SlowRoot[], candidate: SlowRoot, limit: number): void {
  if (limit <= 0) return;
  if (slowest.length >= limit && candidate.durationMs <= slowest[slowest.length - 1].durationMs) return;
  let index = slowest.findIndex((kept) => candidate.durationMs > kept.durationMs);
  if (index === -1) index = slowest.length;
  slowest.splice(index, 0, candidate);
  if (slowest.length > limit) slowest.pop();
}

/** What the error list shows of a trace's root (or, lacking one, its earliest span). */
export interface TraceHead {
  startTimeUnixNano: string;
  service: string;
  operation: string;
  statusCode?: number;
  matches: boolean;
}

function traceHead(span: JsonSpan, matches: boolean): TraceHead {
  return { startTimeUnixNano: span.startTimeUnixNano, service: serviceOf(span), operation: operationOf(span), statusCode: statusCodeOf(span), matches };
}

/** Counts the error traces whose root matches the filters and keeps only the newest `limit`. */
export class ErrorTraceRanking {
  total = 0;
  /** Newest first. */
  readonly newest: { traceId: string; head: TraceHead }[] = [];

  constructor(private readonly _limit: number) {}

  offer(traceId: string, head: TraceHead): void {
    if (!head.matches) return;
    this.total++;
    const newerThan = (kept: { traceId: string; head: TraceHead }) =>
      compareNanos(head.startTimeUnixNano, kept.head.startTimeUnixNano) > 0 ||
      (compareNanos(head.startTimeUnixNano, kept.head.startTimeUnixNano) === 0 && traceId < kept.traceId);
    let index = this.newest.findIndex(newerThan);
    if (index === -1) index = this.newest.length;
    if (index >= this._limit) return;
    this.newest.splice(index, 0, { traceId, head });
    if (this.newest.length > this._limit) this.newest.pop();
  }
}

/**
 * One row of the error list, from the trace's collected spans: the earliest exception (usually
 * the one thrown deepest: the cause, not a re-wrap), else the first error status message.
 */
export function describeErrorTrace(traceId: string, head: TraceHead, spans: readonly ReportSpan[]): ErrorTrace {
  const listed: ErrorTrace = {
    traceId,
    startTimeUnixNano: head.startTimeUnixNano,
    service: head.service,
    operation: head.operation,
    errorSpanCount: 0,
  };
  if (head.statusCode !== undefined) listed.statusCode = head.statusCode;
  let exception: ReturnType<typeof firstExceptionOf>;
  let statusMessage: string | undefined;
  const byStart = [...spans].sort((a, b) => compareNanos(a.startTimeUnixNano, b.startTimeUnixNano));
  for (const span of byStart) {
    if (!isErrorSpan(span)) continue;
    listed.errorSpanCount++;
    const candidate = firstExceptionOf(span);
    if (candidate !== undefined && (exception === undefined || compareNanos(candidate.timeUnixNano, exception.timeUnixNano) < 0)) exception = candidate;
    if (statusMessage === undefined && span.status.code === 'ERROR' && span.status.message) statusMessage = span.status.message;
  }
  if (exception?.type !== undefined) listed.exceptionType = exception.type;
  const message = exception?.message ?? statusMessage;
  if (message !== undefined) listed.exceptionMessage = message;
  return listed;
}
