/** A trace's spans as a tree: children through parentSpanId, siblings by start time. */
import type { ReportSpan, TraceTree } from './model';
import { compareNanos, nanosToMs } from './read-spans';
import { isErrorSpan, operationOf } from './span-facts';

export interface TreeLine {
  span: ReportSpan;
  depth: number;
}

/**
 * Siblings by start time. Start times have millisecond resolution (sdk-trace starts a span at
 * Date.now()), so siblings often tie: then the one that ended first (an express middleware before
 * the request handler that follows it) goes first.
 */
function byStart(a: ReportSpan, b: ReportSpan): number {
  return compareNanos(a.startTimeUnixNano, b.startTimeUnixNano) || a.durationMs - b.durationMs || a.spanId.localeCompare(b.spanId);
}

/**
 * Depth-first order with depths. A span whose parent is not in the input (lost, another file not
 * given, the caller is uninstrumented) becomes a root rather than disappearing.
 */
export function orderTree(spans: readonly ReportSpan[]): TreeLine[] {
  const sorted = [...spans].sort(byStart);
  const ids = new Set(sorted.map((span) => span.spanId));
  const children = new Map<string, ReportSpan[]>();
  const roots: ReportSpan[] = [];
  for (const span of sorted) {
    if (span.parentSpanId === '' || !ids.has(span.parentSpanId) || span.parentSpanId === span.spanId) {
      roots.push(span);
    } else {
      const siblings = children.get(span.parentSpanId);
      if (siblings === undefined) children.set(span.parentSpanId, [span]);
      else siblings.push(span);
    }
  }
  const lines: TreeLine[] = [];
  const visited = new Set<string>();
  // An explicit stack: a trace can be deep enough to overflow recursion.
  const stack: TreeLine[] = roots.map((span) => ({ span, depth: 0 })).reverse();
  while (stack.length > 0) {
    const line = stack.pop()!;
    if (visited.has(line.span.spanId)) continue;
    visited.add(line.span.spanId);
    lines.push(line);
    const kids = children.get(line.span.spanId) ?? [];
    for (let index = kids.length - 1; index >= 0; index--) stack.push({ span: kids[index], depth: line.depth + 1 });
  }
  // Spans on a parent cycle (corrupt input) were never reached from a root: show them as roots.
  for (const span of sorted) if (!visited.has(span.spanId)) lines.push({ span, depth: 0 });
  return lines;
}

/** The root a trace is named after: the span without a parent, else the earliest span. */
export function rootOf(spans: readonly ReportSpan[]): ReportSpan | undefined {
  const sorted = [...spans].sort(byStart);
  return sorted.find((span) => span.parentSpanId === '') ?? sorted[0];
}

export function buildTraceTree(traceId: string, spans: readonly ReportSpan[]): TraceTree {
  const sorted = [...spans].sort(byStart);
  const root = rootOf(sorted);
  let durationMs = 0;
  if (root !== undefined && root.parentSpanId === '') {
    durationMs = root.durationMs;
  } else if (sorted.length > 0) {
    // No root in the input: the trace lasted from its first start to its last end.
    const startMs = nanosToMs(sorted[0].startTimeUnixNano);
    durationMs = Math.max(...sorted.map((span) => nanosToMs(span.startTimeUnixNano) - startMs + span.durationMs));
  }
  return {
    traceId,
    durationMs,
    startTimeUnixNano: root?.startTimeUnixNano ?? '0',
    service: root?.service ?? '',
    operation: root === undefined ? '' : operationOf(root),
    hasError: sorted.some(isErrorSpan),
    spans: sorted,
  };
}
