/**
 * What `otel-agent report` computes from span files (OTLP/JSON or per-span JSON lines), independent of how it is
 * shown: the text and JSON renderers and the HTML page all take a `Report`.
 *
 * Spans are read as `JsonSpan`s (src/sdk/json-lines-exporter.ts), from OTLP/JSON or per-span lines
 * (src/report/read-spans.ts). Times stay as decimal strings of
 * Unix nanoseconds, as in the file, so nothing loses precision; durations are milliseconds.
 */

/** One span as the report keeps it: only for traces it shows (slowest, errors, --trace). */
export interface ReportSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** 'SERVER' | 'CLIENT' | 'INTERNAL' | 'PRODUCER' | 'CONSUMER' */
  kind: string;
  /** `service.name` from the span's resource ('unknown_service' when absent). */
  service: string;
  startTimeUnixNano: string;
  durationMs: number;
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  attributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: string; attributes: Record<string, unknown> }[];
}

/** Latency of one operation: a service's server route (`http.route`, else the span name). */
export interface OperationLatency {
  service: string;
  operation: string;
  count: number;
  errorCount: number;
  /** errorCount / count, 0..1 */
  errorRate: number;
  /** Exact nearest-rank percentiles over every span of the operation, in ms. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** A trace that contains an error (status ERROR or an exception event). */
export interface ErrorTrace {
  traceId: string;
  /** Start of the trace's root span (or of its earliest span when the root is missing). */
  startTimeUnixNano: string;
  /** The root span's service and operation (route or name). */
  service: string;
  operation: string;
  /** The root span's HTTP response status code, when it has one. */
  statusCode?: number;
  /** First exception event's type and message (already masked by the agent), else the status message. */
  exceptionType?: string;
  exceptionMessage?: string;
  errorSpanCount: number;
}

/** Calls from one service to another. `to` is a service name, or the peer address when uninstrumented. */
export interface ServiceEdge {
  from: string;
  to: string;
  calls: number;
  errors: number;
  /** True when `to` came from `peer.service` / `server.address` because no server span answered. */
  uninstrumented: boolean;
}

/** A trace drawn as a tree: spans sorted by start time; children found through parentSpanId. */
export interface TraceTree {
  traceId: string;
  durationMs: number;
  startTimeUnixNano: string;
  service: string;
  operation: string;
  hasError: boolean;
  spans: ReportSpan[];
}

export interface ReportFilters {
  /** Only spans that ended within this many ms before the newest span in the input (`--since 10m`). */
  sinceMs?: number;
  service?: string;
  route?: string;
}

export interface ReportInput {
  files: string[];
  lines: number;
  spans: number;
  /** Lines that were not valid span JSON (corrupt, truncated): counted, never fatal. */
  badLines: number;
  /** Spans left out by the filters. */
  filteredOut: number;
  /** SERVER spans exported for their outcome (otel_agent.kept_by), left out of the latency table. */
  keptByOutcome: number;
}

export interface Report {
  input: ReportInput;
  filters: ReportFilters;
  /** Sorted by p95, slowest first. */
  latency: OperationLatency[];
  /** Newest first; at most `limit` listed, `total` counts all. */
  errors: { total: number; traces: ErrorTrace[] };
  graph: { services: string[]; edges: ServiceEdge[] };
  /** The N slowest traces, slowest first. */
  slowest: TraceTree[];
  /** The trees of the listed error traces (same order as errors.traces), for the HTML waterfall. */
  errorTraces: TraceTree[];
}
