/**
 * `otel-agent report --html`: the report as one self-contained HTML file, to open from disk or attach
 * to a ticket. Nothing in it loads from the network (no CDN, fonts or images; a Content-Security-Policy
 * forbids it anyway): inline CSS, a little inline JS, and the report embedded as JSON.
 *
 * Everything is rendered here, server-side, as HTML and SVG strings, so the page is complete without
 * JS and tests can count elements in the string. The JS only adds the span details panel (click a
 * waterfall bar) and reads the span to open from the URL hash (`#span=<traceId>:<spanId>`).
 *
 * Span names, attributes and events come from the traced apps: every piece of text is HTML-escaped,
 * and the embedded JSON has `<` written as \u003c so a `</script>` in span data cannot end the block.
 *
 * Class names tests count: `svg.service-graph g.node`, `svg.service-graph path.edge` (`.edge.error`
 * for edges with errors), `.waterfall` (one per trace), `.waterfall .bar`, `.bar.error`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ErrorTrace, OperationLatency, Report, ReportSpan, ServiceEdge, TraceTree } from './model';
import { dateOfUnixNano, formatPercent, msDigits, parseUnixNano } from './format';
import { html, joinHtml, rawHtml } from './html-template';
import type { Html } from './html-template';
import { orderTree } from './trace-tree';

export { escapeHtml } from './html-template';

/**
 * The page's CSS and script are files of their own (assets/report/ in the package, linted and formatted like the
 * rest), read once from the package and inlined into every page: the page stays self-contained.
 */
const ASSETS_DIR = path.join(__dirname, '..', '..', '..', 'assets', 'report');
let pageAssets: { style: string; script: string } | undefined;

function readPageAssets(): { style: string; script: string } {
  pageAssets ??= {
    style: fs.readFileSync(path.join(ASSETS_DIR, 'report.css'), 'utf8'),
    script: fs.readFileSync(path.join(ASSETS_DIR, 'report-client.js'), 'utf8'),
  };
  return pageAssets;
}

export function renderHtml(report: Report): string {
  const assets = readPageAssets();
  const traces = tracesToDraw(report);
  const title = 'otel-agent report';
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${title}</title>
<style>
${rawHtml(assets.style)}</style>
</head>
<body>
<header>
<h1>${title}</h1>
${renderSummary(report)}
</header>
<main>
<section id="latency">
<h2>Latency by operation</h2>
${renderLatencyTable(report.latency)}
</section>
<section id="errors">
<h2>Errors <span class="count">${report.errors.total}</span></h2>
${renderErrorList(report.errors, traces)}
</section>
<section id="graph">
<h2>Service dependencies</h2>
${renderServiceGraph(report.graph)}
</section>
<section id="traces">
<h2>Traces <span class="count">${traces.length}</span></h2>
<p class="hint">The slowest traces and the traces with errors. Click a bar for the span's attributes and events.</p>
${traces.length === 0 ? html`<p class="empty">No traces to show.</p>` : joinHtml(traces.map(renderWaterfall), '\n')}
</section>
</main>
<script type="application/json" id="report-data">${rawHtml(jsonForScript({ traces: traces.map((trace) => ({ traceId: trace.traceId, spans: trace.spans })) }))}</script>
<script>
${rawHtml(assets.script)}</script>
</body>
</html>
`.text;
}

/**
 * JSON to place inside <script type="application/json">: `<` and `>` become \u003c / \u003e so neither
 * `</script>` nor `<!--` can appear, `&` too for good measure; JSON.parse gives back the same strings.
 * U+2028/2029 are escaped because some tools still treat them as line ends.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The slowest traces, then the error traces not already among them: one waterfall per trace id. */
function tracesToDraw(report: Report): TraceTree[] {
  const seen = new Set<string>();
  const traces: TraceTree[] = [];
  for (const trace of [...report.slowest, ...report.errorTraces]) {
    if (seen.has(trace.traceId)) continue;
    seen.add(trace.traceId);
    traces.push(trace);
  }
  return traces;
}

function renderSummary(report: Report): Html {
  const { input, filters } = report;
  const parts = [
    html`${input.spans} spans from ${input.lines} lines in ${input.files.length} file${input.files.length === 1 ? '' : 's'}`,
    input.badLines > 0 ? html`<span class="warn">${input.badLines} unreadable line${input.badLines === 1 ? '' : 's'} skipped</span>` : undefined,
    input.filteredOut > 0 ? html`${input.filteredOut} spans filtered out` : undefined,
  ].filter((part): part is Html => part !== undefined);
  const filterText = [
    filters.sinceMs !== undefined ? `since ${formatMs(filters.sinceMs)}` : '',
    filters.service !== undefined ? `service = ${filters.service}` : '',
    filters.route !== undefined ? `route = ${filters.route}` : '',
  ].filter(Boolean);
  const files = input.files.map((file) => html`<code>${file}</code>`);
  return html`<p class="summary">${joinHtml(parts, ' · ')}${filterText.length > 0 ? ` · filters: ${filterText.join(', ')}` : ''}</p>
<p class="files">${joinHtml(files, ' ')}</p>`;
}

function renderLatencyTable(rows: OperationLatency[]): Html {
  if (rows.length === 0) return html`<p class="empty">No server spans.</p>`;
  const body = rows.map(
    (row) => html`<tr>
<td>${row.service}</td>
<td class="operation">${row.operation}</td>
<td class="num">${row.count}</td>
<td class="num${row.errorCount > 0 ? ' bad' : ''}">${formatPercent(row.errorRate)}</td>
<td class="num">${formatMs(row.p50Ms)}</td>
<td class="num">${formatMs(row.p95Ms)}</td>
<td class="num">${formatMs(row.p99Ms)}</td>
<td class="num">${formatMs(row.maxMs)}</td>
</tr>`,
  );
  return html`<table class="latency">
<thead><tr><th>Service</th><th>Operation</th><th class="num">Count</th><th class="num">Errors</th><th class="num">p50</th><th class="num">p95</th><th class="num">p99</th><th class="num">max</th></tr></thead>
<tbody>
${joinHtml(body, '\n')}
</tbody>
</table>`;
}

function renderErrorList(errors: Report['errors'], drawn: TraceTree[]): Html {
  if (errors.total === 0) return html`<p class="empty">No errors.</p>`;
  const drawnIds = new Set(drawn.map((trace) => trace.traceId));
  const rows = errors.traces.map((error: ErrorTrace) => {
    const exception = [error.exceptionType, error.exceptionMessage].filter((part) => part !== undefined && part !== '').join(': ');
    // Link to the waterfall when the trace is drawn below.
    const traceId = drawnIds.has(error.traceId)
      ? html`<a class="trace-id" href="#${traceAnchor(error.traceId)}">${error.traceId}</a>`
      : html`<span class="trace-id">${error.traceId}</span>`;
    return html`<tr class="error-trace">
<td class="time">${formatTime(error.startTimeUnixNano)}</td>
<td>${error.service}</td>
<td class="operation">${error.operation}</td>
<td class="num">${error.statusCode ?? ''}</td>
<td class="exception">${exception}</td>
<td class="num">${error.errorSpanCount}</td>
<td>${traceId}</td>
</tr>`;
  });
  const more =
    errors.total > errors.traces.length ? html`<p class="hint">Showing ${errors.traces.length} of ${errors.total} error traces, newest first.</p>` : undefined;
  return html`<table class="errors">
<thead><tr><th>Time (UTC)</th><th>Service</th><th>Operation</th><th class="num">Status</th><th>Exception</th><th class="num">Error spans</th><th>Trace</th></tr></thead>
<tbody>
${joinHtml(rows, '\n')}
</tbody>
</table>
${more}`;
}

// ---------------------------------------------------------------------------------------------------
// Service graph: layered left to right by call depth, so callers sit left of the services they call.

const NODE_WIDTH = 170;
const NODE_HEIGHT = 40;
const COLUMN_GAP = 130;
const ROW_GAP = 36;
const MARGIN = 24;

interface PlacedNode {
  name: string;
  instrumented: boolean;
  x: number;
  y: number;
}

/**
 * Depth of each node = the longest chain of calls leading to it (cycles are cut off after as many
 * rounds as there are nodes). Within a column nodes are sorted by name: same input, same picture.
 */
export function layoutServiceGraph(graph: Report['graph']): PlacedNode[] {
  const names = new Set(graph.services);
  // A peer is drawn as uninstrumented when it is only ever reached by uninstrumented edges and calls
  // nothing itself (it may or may not be listed in graph.services as well).
  const reachedUninstrumented = new Set<string>();
  const traced = new Set<string>();
  for (const edge of graph.edges) {
    names.add(edge.from);
    names.add(edge.to);
    traced.add(edge.from);
    (edge.uninstrumented ? reachedUninstrumented : traced).add(edge.to);
  }
  const uninstrumented = new Set([...reachedUninstrumented].filter((name) => !traced.has(name)));
  const sorted = [...names].sort();
  const depth = new Map(sorted.map((name) => [name, 0]));
  for (let round = 0; round < sorted.length; round++) {
    let changed = false;
    for (const edge of graph.edges) {
      if (edge.from === edge.to) continue;
      const next = Math.min(depth.get(edge.from)! + 1, sorted.length - 1);
      if (next > depth.get(edge.to)!) {
        depth.set(edge.to, next);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const rowInColumn = new Map<number, number>();
  return sorted.map((name) => {
    const column = depth.get(name)!;
    const row = rowInColumn.get(column) ?? 0;
    rowInColumn.set(column, row + 1);
    return {
      name,
      instrumented: !uninstrumented.has(name),
      x: MARGIN + column * (NODE_WIDTH + COLUMN_GAP),
      y: MARGIN + row * (NODE_HEIGHT + ROW_GAP),
    };
  });
}

function renderServiceGraph(graph: Report['graph']): Html {
  const nodes = layoutServiceGraph(graph);
  if (nodes.length === 0) return html`<p class="empty">No services.</p>`;
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const width = Math.max(...nodes.map((node) => node.x)) + NODE_WIDTH + MARGIN;
  // Room below the lowest node for edges that loop around.
  const height = Math.max(...nodes.map((node) => node.y)) + NODE_HEIGHT + MARGIN + 30;
  const edges = graph.edges.map((edge) => renderEdge(edge, byName.get(edge.from)!, byName.get(edge.to)!));
  const nodeElements = nodes.map((node) => {
    const label = node.name.length > 22 ? `${node.name.slice(0, 21)}…` : node.name;
    return html`<g class="node${node.instrumented ? '' : ' uninstrumented'}" transform="translate(${node.x},${node.y})">
<title>${node.name}${node.instrumented ? '' : ' (not instrumented)'}</title>
<rect width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="6"></rect>
<text x="${NODE_WIDTH / 2}" y="${NODE_HEIGHT / 2}" text-anchor="middle" dominant-baseline="central">${label}</text>
</g>`;
  });
  return html`<svg class="service-graph" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Service dependency graph">
<defs>
<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#6b7280"></path></marker>
<marker id="arrow-error" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#dc2626"></path></marker>
</defs>
${joinHtml(edges, '\n')}
${joinHtml(nodeElements, '\n')}
</svg>
<p class="hint">Arrows point from caller to callee; red edges had errors. Dashed boxes are peers without the agent.</p>`;
}

function renderEdge(edge: ServiceEdge, from: PlacedNode, to: PlacedNode): Html {
  const hasErrors = edge.errors > 0;
  let d: string;
  let labelX: number;
  let labelY: number;
  if (from === to) {
    // A service calling itself: a loop over the node's top.
    const x = from.x + NODE_WIDTH / 2;
    d = `M${x - 20},${from.y} C${x - 40},${from.y - 40} ${x + 40},${from.y - 40} ${x + 20},${from.y}`;
    labelX = x;
    labelY = from.y - 34;
  } else if (to.x > from.x) {
    // Forward: right side of the caller to the left side of the callee.
    const x1 = from.x + NODE_WIDTH;
    const y1 = from.y + NODE_HEIGHT / 2;
    const x2 = to.x;
    const y2 = to.y + NODE_HEIGHT / 2;
    const bend = (x2 - x1) / 2;
    d = `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
    labelX = (x1 + x2) / 2;
    labelY = (y1 + y2) / 2 - 6;
  } else {
    // Backward or within a column (cycles): bottom of the caller round to the bottom of the callee.
    const x1 = from.x + NODE_WIDTH / 2;
    const y1 = from.y + NODE_HEIGHT;
    const x2 = to.x + NODE_WIDTH / 2;
    const y2 = to.y + NODE_HEIGHT;
    const low = Math.max(y1, y2) + 28;
    d = `M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`;
    labelX = (x1 + x2) / 2;
    labelY = low + 2;
  }
  const label = `${edge.calls} call${edge.calls === 1 ? '' : 's'}${hasErrors ? `, ${edge.errors} error${edge.errors === 1 ? '' : 's'}` : ''}`;
  return html`<g class="edge-group">
<title>${edge.from} → ${edge.to}: ${label}</title>
<path class="edge${hasErrors ? ' error' : ''}" d="${d}" marker-end="url(#${hasErrors ? 'arrow-error' : 'arrow'})"></path>
<text class="edge-label${hasErrors ? ' error' : ''}" x="${labelX}" y="${labelY}" text-anchor="middle">${label}</text>
</g>`;
}

// ---------------------------------------------------------------------------------------------------
// Waterfalls.

/** A span in drawing order: parents before children, siblings by start time. */
export interface WaterfallRow {
  span: ReportSpan;
  /** Index into the trace's `spans` array (what the embedded JSON and the details panel use). */
  index: number;
  depth: number;
  offsetMs: number;
}

/** The trace's spans in tree order (orderTree), each with its offset from the trace's first start. */
export function waterfallRows(trace: TraceTree): WaterfallRow[] {
  const starts = trace.spans.map((span) => parseUnixNano(span.startTimeUnixNano));
  const traceStart = starts.reduce<bigint | undefined>((min, start) => (start !== undefined && (min === undefined || start < min) ? start : min), undefined);
  const indexOf = new Map(trace.spans.map((span, index) => [span, index]));
  return orderTree(trace.spans).map(({ span, depth }) => {
    const index = indexOf.get(span)!;
    const start = starts[index];
    const offsetMs = start !== undefined && traceStart !== undefined ? Number(start - traceStart) / 1e6 : 0;
    return { span, index, depth, offsetMs };
  });
}

export function spanHasError(span: ReportSpan): boolean {
  return span.status.code === 'ERROR' || span.events.some((event) => event.name === 'exception');
}

function renderWaterfall(trace: TraceTree, traceIndex: number): Html {
  const rows = waterfallRows(trace);
  const totalMs = Math.max(trace.durationMs, ...rows.map((row) => row.offsetMs + row.span.durationMs), 0.001);
  const ticks = axisTicks(totalMs);
  const axis = ticks.map((tick) => html`<span class="tick" style="left:${percent(tick / totalMs)}">${formatMs(tick)}</span>`);
  const gridLines = ticks.map((tick) => html`<span class="gridline" style="left:${percent(tick / totalMs)}"></span>`);
  const rowElements = rows.map((row) => {
    const { span } = row;
    const error = spanHasError(span);
    const left = Math.min(row.offsetMs / totalMs, 1);
    // A span too short to see still gets a visible sliver.
    const width = Math.max(Math.min(span.durationMs / totalMs, 1 - left), 0.003);
    return html`<div class="span-row${error ? ' error' : ''}">
<div class="label" style="padding-left:${8 + row.depth * 14}px" title="${`${span.service} ${span.name}`}"><span class="service">${span.service}</span> <span class="name">${span.name}</span> <span class="kind">${span.kind}</span></div>
<div class="track"><div class="lane">${gridLines}<div class="bar${error ? ' error' : ''}" tabindex="0" role="button" data-trace="${traceIndex}" data-span="${row.index}" style="left:${percent(left)};width:${percent(width)}" title="${`${span.name}: ${formatMs(span.durationMs)}`}"></div><span class="duration" style="left:${percent(left + width)}">${formatMs(span.durationMs)}</span></div></div>
</div>`;
  });
  return html`<article class="waterfall${trace.hasError ? ' has-error' : ''}" id="${traceAnchor(trace.traceId)}">
<h3><span class="operation">${trace.service} ${trace.operation}</span> <span class="total">${formatMs(trace.durationMs)}</span>${trace.hasError ? html` <span class="badge">error</span>` : ''} <code class="trace-id">${trace.traceId}</code> <span class="time">${formatTime(trace.startTimeUnixNano)}</span></h3>
<div class="span-row axis"><div class="label"></div><div class="track"><div class="lane">${axis}</div></div></div>
${joinHtml(rowElements, '\n')}
<div class="span-details" hidden></div>
</article>`;
}

/** Four or five round tick values from 0 to at most `totalMs`. */
function axisTicks(totalMs: number): number[] {
  const raw = totalMs / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= raw) ?? raw;
  const ticks: number[] = [];
  for (let tick = 0; tick <= totalMs + 1e-9 && ticks.length < 12; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

function traceAnchor(traceId: string): string {
  return `trace-${traceId}`;
}

function formatTime(unixNano: string): string {
  return dateOfUnixNano(unixNano)?.toISOString().replace('T', ' ').replace('Z', '') ?? '';
}

/** With its unit, for a page read by eye: seconds from 10 s on. */
function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  if (ms === 0) return '0';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${msDigits(ms)} ms`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(3)}%`;
}
