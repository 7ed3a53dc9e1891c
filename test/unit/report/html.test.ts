/**
 * renderHtml on a hand-built Report: the page's structure (counted by class name, the same names the
 * Chromium test counts in the live DOM), escaping of hostile span data, the embedded JSON, and that
 * nothing on the page points at the network.
 */
import { expect } from 'chai';
import { escapeHtml, jsonForScript, layoutServiceGraph, renderHtml, waterfallRows } from '../../../src/report/html';
import type { Report } from '../../../src/report/model';
import { buildFixtureReport, FIXTURE_EXPECTED, HOSTILE_ATTRIBUTE, HOSTILE_NAME } from '../../helpers/report-html-fixture';

const count = (html: string, pattern: RegExp) => (html.match(new RegExp(pattern.source, 'g')) ?? []).length;

/** The text of <script type="application/json" id="report-data">. */
function embeddedJson(html: string): string {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match, 'embedded JSON block').to.not.equal(null);
  return match![1];
}

describe('report HTML page (renderHtml)', () => {
  let report: Report;
  let html: string;
  before(() => {
    report = buildFixtureReport();
    html = renderHtml(report);
  });

  it('is one HTML document with inline CSS and JS only', () => {
    expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
    expect(count(html, /<style>/)).to.equal(1);
    expect(count(html, /<script\b/)).to.equal(2);
    expect(html).to.not.match(/<link\b/i);
    expect(html).to.not.match(/<script[^>]*\bsrc=/i);
    // CSS/SVG url() only for in-page references (the arrow markers).
    expect(html).to.not.match(/@import|url\((?!#)/i);
    expect(html).to.contain('Content-Security-Policy');
  });

  it('points at nothing on the network: no http(s) URL in any src or href, and only the SVG namespace otherwise outside the data', () => {
    expect(html).to.not.match(/\b(?:src|href|xlink:href|action)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    // url.full in span data is text, not a link: the only URLs outside the JSON block are the xmlns.
    const outsideData = html.replace(embeddedJson(html), '');
    const urls = outsideData.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
    expect(urls).to.deep.equal(['http://www.w3.org/2000/svg']);
  });

  it('draws one waterfall per trace, de-duplicating traces both slow and failed', () => {
    expect(count(html, /<article class="waterfall[ "]/)).to.equal(FIXTURE_EXPECTED.waterfalls);
    expect(count(html, /class="bar(?: error)?"/)).to.equal(FIXTURE_EXPECTED.bars);
    expect(count(html, /class="bar error"/)).to.equal(FIXTURE_EXPECTED.errorBars);
  });

  it('marks a span with an exception event but no ERROR status as an error', () => {
    const article = /<article class="waterfall[^"]*" id="trace-ccccccccccccccccccccccccccccccc3">([\s\S]*?)<\/article>/.exec(html);
    expect(article).to.not.equal(null);
    expect(count(article![1], /class="bar error"/)).to.equal(1);
  });

  it('draws the service graph: services plus uninstrumented peers as nodes, one path per edge, error edges red', () => {
    const svg = /<svg class="service-graph"[\s\S]*?<\/svg>/.exec(html)![0];
    expect(count(svg, /<g class="node[ "]/)).to.equal(FIXTURE_EXPECTED.graphNodes);
    expect(count(svg, /<g class="node uninstrumented"/)).to.equal(1);
    expect(count(svg, /<path class="edge[ "]/)).to.equal(FIXTURE_EXPECTED.graphEdges);
    expect(count(svg, /<path class="edge error"/)).to.equal(FIXTURE_EXPECTED.errorEdges);
    expect(svg).to.contain('marker-end="url(#arrow-error)"');
    expect(svg).to.contain('41 calls, 1 error');
  });

  it('lays the graph out left to right by call depth, the same way every time', () => {
    const nodes = layoutServiceGraph(report.graph);
    const x = Object.fromEntries(nodes.map((node) => [node.name, node.x]));
    expect(x.web).to.be.below(x.shop);
    expect(x.shop).to.be.below(x.inventory);
    expect(x.inventory).to.equal(x['payments.internal']);
    expect(renderHtml(buildFixtureReport())).to.equal(html);
  });

  it('survives cycles and self-calls in the graph', () => {
    const nodes = layoutServiceGraph({
      services: ['a', 'b'],
      edges: [
        { from: 'a', to: 'b', calls: 1, errors: 0, uninstrumented: false },
        { from: 'b', to: 'a', calls: 1, errors: 0, uninstrumented: false },
        { from: 'a', to: 'a', calls: 1, errors: 0, uninstrumented: false },
      ],
    });
    expect(nodes.map((node) => node.name)).to.deep.equal(['a', 'b']);
    const page = renderHtml({
      ...buildFixtureReport(),
      graph: {
        services: ['a', 'b'],
        edges: [
          { from: 'a', to: 'b', calls: 1, errors: 0, uninstrumented: false },
          { from: 'b', to: 'a', calls: 1, errors: 1, uninstrumented: false },
          { from: 'a', to: 'a', calls: 2, errors: 0, uninstrumented: false },
        ],
      },
    });
    expect(count(page, /<path class="edge[ "]/)).to.equal(3);
  });

  it('nests spans under their parents, siblings by start time', () => {
    const rows = waterfallRows(report.slowest[0]);
    expect(rows.map((row) => [row.span.spanId.slice(-1), row.depth])).to.deep.equal([
      ['1', 0],
      ['2', 1],
      ['3', 2],
      ['4', 3],
      ['5', 2],
    ]);
    expect(rows[0].offsetMs).to.equal(0);
    expect(rows[3].offsetMs).to.equal(22);
  });

  it('puts the sibling that ended first first when start times tie (millisecond clocks)', () => {
    const base = report.slowest[0];
    const root = { ...base.spans[1], spanId: 'r', parentSpanId: '' };
    const handler = { ...root, spanId: 'handler', parentSpanId: 'r', durationMs: 300 };
    const middleware = { ...root, spanId: 'middleware', parentSpanId: 'r', durationMs: 0.3 };
    const rows = waterfallRows({ ...base, spans: [root, handler, middleware] });
    expect(rows.map((row) => row.span.spanId)).to.deep.equal(['r', 'middleware', 'handler']);
  });

  it('draws a peer as uninstrumented even when graph.services lists it', () => {
    const nodes = layoutServiceGraph({
      services: ['10.0.0.9:443', 'shop'],
      edges: [{ from: 'shop', to: '10.0.0.9:443', calls: 3, errors: 0, uninstrumented: true }],
    });
    expect(nodes.map((node) => [node.name, node.instrumented])).to.deep.equal([
      ['10.0.0.9:443', false],
      ['shop', true],
    ]);
  });

  it('draws orphans and parent cycles without losing or repeating spans', () => {
    const base = report.slowest[0];
    const spans = [
      { ...base.spans[0], spanId: 'x1', parentSpanId: 'x2' },
      { ...base.spans[0], spanId: 'x2', parentSpanId: 'x1' },
      { ...base.spans[0], spanId: 'x3', parentSpanId: 'missing' },
      { ...base.spans[0], spanId: 'x4', parentSpanId: 'x4', startTimeUnixNano: 'not a number' },
    ];
    const rows = waterfallRows({ ...base, spans });
    expect(rows.map((row) => row.span.spanId).sort()).to.deep.equal(['x1', 'x2', 'x3', 'x4']);
  });

  it('escapes span names and attributes everywhere they appear', () => {
    expect(html).to.not.contain('<script>alert(1)');
    expect(html).to.not.contain('<img src=x');
    expect(html).to.contain(escapeHtml(HOSTILE_NAME));
    // Exactly the two script blocks' closing tags: span data did not close one early.
    expect(count(html, /<\/script>/)).to.equal(2);
    expect(html).to.not.contain('<!--');
  });

  it('embeds the drawn traces as JSON that parses back to the same data', () => {
    const json = embeddedJson(html);
    expect(json).to.not.match(/[<>&]/);
    const data = JSON.parse(json) as { traces: { traceId: string; spans: unknown[] }[] };
    expect(data.traces.map((trace) => trace.traceId)).to.deep.equal([report.slowest[0].traceId, report.slowest[1].traceId, report.errorTraces[0].traceId]);
    expect(data.traces[0].spans).to.deep.equal(report.slowest[0].spans);
    expect(JSON.stringify(data)).to.contain(HOSTILE_ATTRIBUTE);
  });

  it('escapes for script blocks: < > & and line separators', () => {
    const value = { s: '</script><!-- & \u2028\u2029' };
    const json = jsonForScript(value);
    expect(json).to.not.match(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).to.deep.equal(value);
  });

  it('lists the error traces with the total, linking those drawn below', () => {
    expect(html).to.match(/<h2>Errors <span class="count">3<\/span><\/h2>/);
    expect(count(html, /<tr class="error-trace">/)).to.equal(FIXTURE_EXPECTED.errorRows);
    expect(html).to.contain('href="#trace-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"');
    expect(html).to.contain('card [REDACTED] declined for [REDACTED]');
    expect(html).to.contain('Showing 2 of 3 error traces');
  });

  it('shows the latency table, one row per operation', () => {
    const table = /<table class="latency">[\s\S]*?<\/table>/.exec(html)![0];
    expect(count(table, /<tr>/)).to.equal(1 + report.latency.length);
    expect(table).to.contain('4.9%'); // 2 of 41
    expect(table).to.contain('450 ms');
  });

  it('renders an empty report without failing', () => {
    const empty = renderHtml({
      input: { files: [], lines: 0, spans: 0, badLines: 0, filteredOut: 0, keptByOutcome: 0 },
      filters: { service: '<b>', sinceMs: 600000 },
      latency: [],
      errors: { total: 0, traces: [] },
      graph: { services: [], edges: [] },
      slowest: [],
      errorTraces: [],
    });
    expect(empty).to.contain('No traces to show.');
    expect(empty).to.contain('service = &lt;b&gt;');
    expect(count(empty, /<article class="waterfall/)).to.equal(0);
  });
});
