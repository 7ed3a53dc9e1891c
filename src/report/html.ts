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
import type { ErrorTrace, OperationLatency, Report, ReportSpan, ServiceEdge, TraceTree } from './model';
import { dateOfUnixNano, formatPercent, msDigits, parseUnixNano } from './format';
import { html, joinHtml, rawHtml } from './html-template';
import type { Html } from './html-template';
import { orderTree } from './trace-tree';

export { escapeHtml } from './html-template';

export function renderHtml(report: Report): string {
  const traces = tracesToDraw(report);
  const title = 'otel-agent report';
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${title}</title>
<style>${rawHtml(STYLE)}</style>
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
<script>${rawHtml(SCRIPT)}</script>
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

const STYLE = `
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg-alt: #f9fafb; --accent: #2563eb; --error: #dc2626; --error-bg: #fef2f2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
header { padding: 16px 32px; border-bottom: 1px solid var(--line); background: var(--bg-alt); }
h1 { margin: 0 0 4px; font-size: 20px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
h3 { font-size: 14px; font-weight: 600; margin: 0 0 8px; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
main { padding: 0 32px 48px; }
code, .trace-id, .time, .num, .kind, .span-details pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.summary, .files { margin: 2px 0; color: var(--muted); }
.warn, .bad { color: var(--error); }
.hint, .empty { color: var(--muted); margin: 6px 0; }
.count { display: inline-block; min-width: 22px; padding: 0 7px; border-radius: 10px; background: var(--line); font-size: 12px; text-align: center; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: var(--bg-alt); }
tbody tr:hover { background: var(--bg-alt); }
.num { text-align: right; white-space: nowrap; }
.exception { color: var(--error); word-break: break-word; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
svg.service-graph { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--bg-alt); }
svg.service-graph g.node rect { fill: #fff; stroke: var(--accent); stroke-width: 1.5; }
svg.service-graph g.node.uninstrumented rect { stroke: var(--muted); stroke-dasharray: 5 3; }
svg.service-graph g.node text { font-size: 13px; fill: var(--fg); }
svg.service-graph path.edge { fill: none; stroke: var(--muted); stroke-width: 1.5; }
svg.service-graph path.edge.error { stroke: var(--error); }
svg.service-graph text.edge-label { font-size: 11px; fill: var(--muted); paint-order: stroke; stroke: var(--bg-alt); stroke-width: 4px; stroke-linejoin: round; }
svg.service-graph text.edge-label.error { fill: var(--error); }
.waterfall { border: 1px solid var(--line); border-radius: 6px; padding: 12px; margin: 0 0 16px; }
.waterfall.has-error { border-left: 4px solid var(--error); }
.waterfall .total { font-family: ui-monospace, monospace; font-size: 12px; }
.waterfall .trace-id, .waterfall .time { color: var(--muted); font-weight: normal; }
.badge { background: var(--error); color: #fff; border-radius: 4px; padding: 0 6px; font-size: 11px; font-weight: 600; }
.span-row { display: flex; align-items: center; min-height: 22px; }
.span-row:not(.axis):hover { background: var(--bg-alt); }
.span-row .label { flex: 0 0 34%; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; padding-right: 8px; }
.span-row .service { color: var(--muted); }
.span-row.error .name { color: var(--error); }
.span-row .kind { color: var(--muted); font-size: 10px; }
.track { position: relative; flex: 1; height: 20px; }
/* Bars are placed in percent of the lane; the 70px right of it keeps the duration labels readable. */
.lane { position: absolute; top: 0; bottom: 0; left: 0; right: 70px; }
.axis .track { height: 18px; border-bottom: 1px solid var(--line); }
.axis .lane { overflow: visible; }
.tick { position: absolute; bottom: 2px; font-size: 11px; color: var(--muted); transform: translateX(-50%); white-space: nowrap; }
.tick:first-child { transform: none; }
.gridline { position: absolute; top: 0; bottom: 0; border-left: 1px dashed var(--line); }
.bar { position: absolute; top: 4px; height: 12px; min-width: 2px; border-radius: 2px; background: #60a5fa; cursor: pointer; }
.bar:hover, .bar:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
.bar.error { background: var(--error); }
.bar.selected { outline: 2px solid var(--fg); outline-offset: 1px; }
.duration { position: absolute; top: 2px; margin-left: 6px; font-size: 11px; color: var(--muted); white-space: nowrap; }
.span-details { margin-top: 10px; padding: 10px 12px; background: var(--bg-alt); border: 1px solid var(--line); border-radius: 6px; }
.span-details h4 { margin: 0 0 6px; font-size: 13px; }
.span-details table { width: auto; min-width: 50%; margin-bottom: 8px; }
.span-details td { font-family: ui-monospace, monospace; font-size: 12px; padding: 2px 10px; word-break: break-all; }
.span-details td:first-child { color: var(--muted); white-space: nowrap; word-break: normal; }
.span-details pre { margin: 0; white-space: pre-wrap; word-break: break-all; max-height: 240px; overflow: auto; }
.span-details .error { color: var(--error); }
`;

/**
 * The details panel. Only DOM text APIs (textContent, createElement): span data never goes through
 * innerHTML. `#span=<traceId>:<spanId>` in the URL opens that span's details on load (deep links; the
 * Chromium test uses it too). `data-ready` on <body> says the script ran.
 */
const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function show(value) { return typeof value === 'string' ? value : JSON.stringify(value); }
  function table(record) {
    var t = el('table');
    Object.keys(record).sort().forEach(function (key) {
      var tr = el('tr');
      tr.appendChild(el('td', '', key));
      var td = el('td');
      var text = show(record[key]);
      if (text.indexOf('\\n') >= 0) td.appendChild(el('pre', '', text)); else td.textContent = text;
      tr.appendChild(td);
      t.appendChild(tr);
    });
    return t;
  }
  function nanosBetween(from, to) {
    try { return Number(BigInt(to) - BigInt(from)) / 1e6; } catch (e) { return NaN; }
  }
  function select(bar) {
    var trace = data.traces[Number(bar.getAttribute('data-trace'))];
    var span = trace && trace.spans[Number(bar.getAttribute('data-span'))];
    if (!span) return;
    var article = bar.closest('.waterfall');
    article.querySelectorAll('.bar.selected').forEach(function (b) { b.classList.remove('selected'); });
    bar.classList.add('selected');
    var panel = article.querySelector('.span-details');
    panel.textContent = '';
    var heading = el('h4', '', span.service + ' ' + span.name + ' (' + span.kind + ', ' + span.durationMs.toFixed(2) + ' ms)');
    panel.appendChild(heading);
    var status = el('p', span.status.code === 'ERROR' ? 'error' : '', 'status ' + span.status.code + (span.status.message ? ': ' + span.status.message : '') + ' · span ' + span.spanId + (span.parentSpanId ? ' · parent ' + span.parentSpanId : ''));
    panel.appendChild(status);
    panel.appendChild(el('h4', '', 'Attributes'));
    panel.appendChild(Object.keys(span.attributes).length ? table(span.attributes) : el('p', 'hint', 'none'));
    panel.appendChild(el('h4', '', 'Events'));
    if (!span.events.length) panel.appendChild(el('p', 'hint', 'none'));
    span.events.forEach(function (event) {
      var offset = nanosBetween(span.startTimeUnixNano, event.timeUnixNano);
      var title = el('p', event.name === 'exception' ? 'event error' : 'event', event.name + (isNaN(offset) ? '' : ' at +' + offset.toFixed(2) + ' ms'));
      panel.appendChild(title);
      panel.appendChild(table(event.attributes));
    });
    panel.hidden = false;
  }
  document.addEventListener('click', function (e) {
    var bar = e.target.closest && e.target.closest('.bar');
    if (bar) select(bar);
  });
  document.addEventListener('keydown', function (e) {
    if ((e.key === 'Enter' || e.key === ' ') && e.target.classList && e.target.classList.contains('bar')) { e.preventDefault(); select(e.target); }
  });
  var match = /^#span=([0-9a-fA-F]+):([0-9a-fA-F]+)$/.exec(location.hash);
  if (match) {
    data.traces.forEach(function (trace, t) {
      if (trace.traceId !== match[1]) return;
      trace.spans.forEach(function (span, s) {
        if (span.spanId !== match[2]) return;
        var bar = document.querySelector('.bar[data-trace="' + t + '"][data-span="' + s + '"]');
        if (bar) { select(bar); bar.scrollIntoView(); }
      });
    });
  }
  document.body.setAttribute('data-ready', 'true');
})();
`;
