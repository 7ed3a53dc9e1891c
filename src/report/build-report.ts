/**
 * `buildReport(files, options)`: the whole report in a few streaming passes, never holding a file
 * or its spans.
 *
 *   0. (only with --since) find the newest span end, which the window counts back from.
 *   1. Parse every line: latency series, service graph, counts, the N slowest root spans, and one
 *      small record per trace that has an error.
 *   2. Re-read, parsing only lines of the few traces the report shows (the slowest, --trace, the
 *      error traces whose root was not seen yet in pass 1) to collect their spans.
 *   3. Only if pass 1 could not rank the error traces (a root came before its error): collect the
 *      spans of the listed error traces.
 *
 * Retained memory: 8 bytes per SERVER span (latency), one packed number per cross-service call
 * still waiting for its other side, one record per error trace, and the spans of shown traces.
 */
import type { JsonSpan } from '../sdk/json-lines-exporter';
import type { ErrorTrace, OperationLatency, Report, ReportFilters, ReportSpan, TraceTree } from './model';
import { inWindow, spanMatches } from './filters';
import { DurationSeries, summarizeLatency } from './percentiles';
import { compareNanos, forEachLine, parseSpanLine, peekEndTimeMs, peekTraceId } from './read-spans';
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

/** What the report knows about a trace's root (or, lacking one, its earliest span). */
interface RootFacts {
  isRoot: boolean;
  startTimeUnixNano: string;
  service: string;
  operation: string;
  statusCode?: number;
  matches: boolean;
}

interface ErrorTraceState {
  errorSpanCount: number;
  exceptionType?: string;
  exceptionMessage?: string;
  exceptionTime?: string;
  statusMessage?: string;
  root?: RootFacts;
}

interface SlowRoot {
  traceId: string;
  durationMs: number;
}

export async function buildReport(files: readonly string[], options: ReportOptions = {}): Promise<BuiltReport> {
  const filters: ReportFilters = { ...options.filters };
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
  const input = { files: [...files], lines: 0, spans: 0, badLines: 0, filteredOut: 0 };
  const operations = new Map<string, OperationStats>();
  const graph = new ServiceGraphBuilder();
  const services = new Set<string>();
  const slowRoots: SlowRoot[] = [];
  const errorTraces = new Map<string, ErrorTraceState>();

  const onSpan = (span: JsonSpan) => {
    input.spans++;
    const matches = spanMatches(span, filters, newestEndMs);
    if (!matches) input.filteredOut++;
    const service = serviceOf(span);
    const error = isErrorSpan(span);
    if (matches) services.add(service);

    if (span.kind === 'SERVER') {
      if (matches) recordLatency(operations, service, operationOf(span), span.durationMs, error);
      graph.addServer({ parentSpanId: span.parentSpanId, service, error });
    } else if (span.kind === 'CLIENT') {
      graph.addClient({ spanId: span.spanId, service, peer: peerOf(span), error, counted: inWindow(span, filters, newestEndMs) });
    }

    const isRoot = span.parentSpanId === '';
    if (isRoot && matches) keepSlowest(slowRoots, { traceId: span.traceId, durationMs: span.durationMs }, slowestLimit);

    let state = errorTraces.get(span.traceId);
    if (error) {
      if (state === undefined) {
        state = { errorSpanCount: 0 };
        errorTraces.set(span.traceId, state);
      }
      recordError(state, span);
    }
    if (state !== undefined && isRoot) state.root = rootFacts(span, matches);
  };

  for (const file of files) {
    await read(file, (line) => {
      input.lines++;
      const span = parseSpanLine(line);
      if (span === undefined) input.badLines++;
      else onSpan(span);
    });
  }

  // Pass 2: spans of the shown traces, and roots of error traces not seen in pass 1.
  const collected = new Map<string, ReportSpan[]>();
  for (const slow of slowRoots) collected.set(slow.traceId, []);
  if (options.traceId !== undefined) collected.set(options.traceId, []);
  const unresolved = new Set(Array.from(errorTraces).filter(([, state]) => state.root?.isRoot !== true).map(([traceId]) => traceId));
  let listedErrors = unresolved.size === 0 ? rankErrorTraces(errorTraces, errorLimit) : undefined;
  for (const listed of listedErrors?.traces ?? []) collected.set(listed.traceId, []);

  if (collected.size > 0 || unresolved.size > 0) {
    for (const file of files) {
      await forEachLine(file, (line) => {
        const traceId = peekTraceId(line);
        if (traceId === undefined) return;
        const spans = collected.get(traceId);
        const resolving = unresolved.has(traceId);
        if (spans === undefined && !resolving) return;
        const span = parseSpanLine(line);
        if (span === undefined) return;
        spans?.push(toReportSpan(span));
        if (resolving) resolveRoot(errorTraces.get(traceId)!, span, filters, newestEndMs);
      });
    }
  }

  // Pass 3: only when the error ranking had to wait for pass 2.
  if (listedErrors === undefined) {
    listedErrors = rankErrorTraces(errorTraces, errorLimit);
    const missing = new Map<string, ReportSpan[]>();
    for (const listed of listedErrors.traces) if (!collected.has(listed.traceId)) missing.set(listed.traceId, []);
    if (missing.size > 0) {
      for (const file of files) {
        await forEachLine(file, (line) => {
          const traceId = peekTraceId(line);
          const spans = traceId === undefined ? undefined : missing.get(traceId);
          if (spans === undefined) return;
          const span = parseSpanLine(line);
          if (span !== undefined) spans.push(toReportSpan(span));
        });
      }
      for (const [traceId, spans] of missing) collected.set(traceId, spans);
    }
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
    errors: { total: listedErrors.total, traces: listedErrors.traces },
    graph: { services: Array.from(services).sort(), edges },
    slowest: slowRoots.map((slow) => tree(slow.traceId)),
    errorTraces: listedErrors.traces.map((listed) => tree(listed.traceId)),
  };
  if (options.traceId !== undefined && (collected.get(options.traceId)?.length ?? 0) > 0) report.trace = tree(options.traceId);
  if (readFailures.length > 0) report.readFailures = readFailures;
  return report;
}

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

function recordError(state: ErrorTraceState, span: JsonSpan): void {
  state.errorSpanCount++;
  const exception = firstExceptionOf(span);
  // The earliest exception is usually the one thrown deepest: the cause, not a re-wrap.
  if (exception !== undefined && (state.exceptionTime === undefined || compareNanos(exception.timeUnixNano, state.exceptionTime) < 0)) {
    state.exceptionTime = exception.timeUnixNano;
    state.exceptionType = exception.type;
    state.exceptionMessage = exception.message;
  }
  if (state.statusMessage === undefined && span.status.code === 'ERROR' && span.status.message) state.statusMessage = span.status.message;
}

function rootFacts(span: JsonSpan, matches: boolean): RootFacts {
  return {
    isRoot: span.parentSpanId === '',
    startTimeUnixNano: span.startTimeUnixNano,
    service: serviceOf(span),
    operation: operationOf(span),
    statusCode: statusCodeOf(span),
    matches,
  };
}

/** Pass 2 for an error trace without a known root: the root, else the earliest span stands in. */
function resolveRoot(state: ErrorTraceState, span: JsonSpan, filters: ReportFilters, newestEndMs: number): void {
  if (state.root?.isRoot === true) return;
  if (span.parentSpanId === '' || state.root === undefined || compareNanos(span.startTimeUnixNano, state.root.startTimeUnixNano) < 0) {
    state.root = rootFacts(span, spanMatches(span, filters, newestEndMs));
  }
}

/** The error traces whose root matches the filters, newest first: `limit` listed, all counted. */
export function rankErrorTraces(errorTraces: Map<string, ErrorTraceState>, limit: number): { total: number; traces: ErrorTrace[] } {
  let total = 0;
  const newest: ErrorTrace[] = [];
  for (const [traceId, state] of errorTraces) {
    const root = state.root;
    if (root === undefined || !root.matches) continue;
    total++;
    const listed: ErrorTrace = {
      traceId,
      startTimeUnixNano: root.startTimeUnixNano,
      service: root.service,
      operation: root.operation,
      errorSpanCount: state.errorSpanCount,
    };
    if (root.statusCode !== undefined) listed.statusCode = root.statusCode;
    if (state.exceptionType !== undefined) listed.exceptionType = state.exceptionType;
    const message = state.exceptionMessage ?? state.statusMessage;
    if (message !== undefined) listed.exceptionMessage = message;
    newest.push(listed);
  }
  newest.sort((a, b) => compareNanos(b.startTimeUnixNano, a.startTimeUnixNano) || a.traceId.localeCompare(b.traceId));
  return { total, traces: newest.slice(0, Math.max(0, limit)) };
}
