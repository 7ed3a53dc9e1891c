/**
 * The report's HTML page in a real browser: headless Chromium opens the file, runs its script, and
 * the live DOM is counted against the Report it was built from (waterfalls, bars, error bars, graph
 * nodes and edges). A deep link opens the span details panel the way a click does. A screenshot at
 * 1280x2000 checks the page renders to a real image (kept in the temp dir for a human to look at).
 *
 * Without Chromium this suite skips, unless REQUIRE_CHROMIUM=1 (CI), where it fails instead.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { buildReport } from '../../src/report/build-report';
import { renderHtml, spanHasError } from '../../src/report/html';
import type { Report } from '../../src/report/model';
import { dumpDom, findChromium, screenshot } from '../helpers/chromium';
import { buildFixtureReport, FIXTURE_EXPECTED, HOSTILE_ATTRIBUTE } from '../helpers/report-html-fixture';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const SCREENSHOT_FILE = path.join(os.tmpdir(), 'otel-agent-report-html.png');

const count = (html: string, pattern: RegExp) => (html.match(new RegExp(pattern.source, 'g')) ?? []).length;

/** Element counts in a DOM as Chromium serialized it (attribute order is kept, class first as written). */
function countElements(dom: string) {
  return {
    waterfalls: count(dom, /<article class="waterfall[ "]/),
    bars: count(dom, /<div class="bar(?: error)?(?: selected)?"/),
    errorBars: count(dom, /<div class="bar error(?: selected)?"/),
    graphNodes: count(dom, /<g class="node[ "]/),
    graphEdges: count(dom, /<path class="edge[ "]/),
    errorEdges: count(dom, /<path class="edge error"/),
    errorRows: count(dom, /<tr class="error-trace">/),
  };
}

/** What the page must show for a Report, derived from the Report itself. */
function countsFromReport(report: Report): ReturnType<typeof countElements> {
  const traces = new Map([...report.slowest, ...report.errorTraces].map((trace) => [trace.traceId, trace]));
  const spans = [...traces.values()].flatMap((trace) => trace.spans);
  const nodes = new Set([...report.graph.services, ...report.graph.edges.flatMap((edge) => [edge.from, edge.to])]);
  return {
    waterfalls: traces.size,
    bars: spans.length,
    errorBars: spans.filter(spanHasError).length,
    graphNodes: nodes.size,
    graphEdges: report.graph.edges.length,
    errorEdges: report.graph.edges.filter((edge) => edge.errors > 0).length,
    errorRows: report.errors.traces.length,
  };
}

/** JSON lines as the file exporter writes them: shop -> inventory (fails) and shop -> an untraced peer. */
function exporterLines(): string {
  const t0 = 1_763_000_000_000_000_000n;
  const ns = (ms: number) => (t0 + BigInt(ms * 1_000_000)).toString();
  const resource = (service: string) => ({ 'service.name': service });
  const line = (
    traceId: string,
    spanId: string,
    parentSpanId: string,
    service: string,
    name: string,
    kind: string,
    startMs: number,
    durationMs: number,
    extra: Record<string, unknown> = {},
  ) =>
    JSON.stringify({
      traceId,
      spanId,
      parentSpanId,
      name,
      kind,
      startTimeUnixNano: ns(startMs),
      endTimeUnixNano: ns(startMs + durationMs),
      durationMs,
      attributes: {},
      events: [],
      links: [],
      status: { code: 'UNSET' },
      resource: resource(service),
      scope: { name: 'test' },
      ...extra,
    });
  const lines: string[] = [];
  for (let i = 0; i < 6; i++) {
    const traceId = `${i}`.repeat(32).slice(0, 32);
    const fails = i === 4;
    const error = fails ? { status: { code: 'ERROR' } } : {};
    lines.push(
      line(traceId, `${i}000000000000001`, '', 'shop', 'GET /items/:id', 'SERVER', i * 100, 50 + i * 10, {
        attributes: { 'http.route': '/items/:id', 'http.response.status_code': fails ? 502 : 200 },
      }),
    );
    lines.push(
      line(traceId, `${i}000000000000002`, `${i}000000000000001`, 'shop', 'GET', 'CLIENT', i * 100 + 2, 30 + i * 10, {
        attributes: { 'server.address': '127.0.0.1', 'server.port': 8081, 'http.response.status_code': fails ? 500 : 200 },
        ...error,
      }),
    );
    lines.push(
      line(traceId, `${i}000000000000003`, `${i}000000000000002`, 'inventory', 'GET /stock/</script>', 'SERVER', i * 100 + 3, 25 + i * 10, {
        attributes: { 'http.route': '/stock/</script>', 'http.response.status_code': fails ? 500 : 200 },
        ...(fails
          ? {
              status: { code: 'ERROR' },
              events: [
                {
                  name: 'exception',
                  timeUnixNano: ns(i * 100 + 20),
                  attributes: { 'exception.type': 'Error', 'exception.message': '<b>stock</b> lookup failed' },
                },
              ],
            }
          : {}),
      }),
    );
    lines.push(
      line(traceId, `${i}000000000000004`, `${i}000000000000001`, 'shop', 'POST', 'CLIENT', i * 100 + 40, 5, {
        attributes: { 'server.address': 'audit.internal', 'server.port': 443, 'http.response.status_code': 204 },
      }),
    );
  }
  return `${lines.join('\n')}\n{"truncated": \n`;
}

/** The visible details panel's serialized HTML, or undefined when every panel is still hidden. */
function openDetailsPanel(dom: string): string | undefined {
  return /<div class="span-details">([\s\S]*?)<\/div>\s*<\/article>/.exec(dom)?.[1];
}

describe('report HTML page in headless Chromium', function () {
  this.timeout(120_000);
  let chromium: string;
  let dir: string;
  let htmlFile: string;
  let report: Report;

  before(function () {
    const found = findChromium();
    if (found === undefined) {
      const message =
        'Chromium not found (looked for $CHROMIUM_PATH, chromium, chromium-browser, google-chrome on PATH); install it with `apt-get install -y chromium`';
      if (process.env.REQUIRE_CHROMIUM === '1') throw new Error(`REQUIRE_CHROMIUM=1 but ${message}`);
      console.log(`      skipped: ${message}`);
      this.skip();
    }
    chromium = found!;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-report-html-'));
    htmlFile = path.join(dir, 'report.html');
    report = buildFixtureReport();
    fs.writeFileSync(htmlFile, renderHtml(report));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the page script and shows every waterfall, bar, graph node and edge of the report', async () => {
    const dom = await dumpDom(chromium, htmlFile);
    expect(dom, 'the inline script ran to the end').to.match(/<body[^>]*data-ready="true"/);
    expect(countElements(dom)).to.deep.equal(FIXTURE_EXPECTED);
    expect(countsFromReport(report)).to.deep.equal(FIXTURE_EXPECTED);
    // Span data did not become markup: only the page's own two scripts, no injected elements.
    expect(count(dom, /<script\b/)).to.equal(2);
    expect(dom).to.not.match(/<img\b/i);
    expect(dom).to.not.contain('<script>alert');
    // Nothing is selected until a click or a deep link.
    expect(openDetailsPanel(dom)).to.equal(undefined);
  });

  it('opens the details panel of a span, with its attributes and exception event, as text', async () => {
    const failed = report.slowest[1];
    const shopSpan = failed.spans[2];
    const dom = await dumpDom(chromium, htmlFile, `#span=${failed.traceId}:${shopSpan.spanId}`);
    expect(count(dom, /<div class="bar error selected"/)).to.equal(1);
    const panel = openDetailsPanel(dom);
    expect(panel, 'a visible details panel').to.be.a('string');
    expect(panel).to.contain('shop GET /cart (SERVER, 90.00 ms)');
    expect(panel).to.contain('status ERROR: card declined');
    expect(panel).to.contain('http.route');
    expect(panel).to.contain('exception at +80.00 ms');
    expect(panel).to.contain('card [REDACTED] declined for [REDACTED]');
    expect(panel).to.match(/<pre>Error: card declined\n {4}at handler/);
  });

  it('shows hostile attribute values as text in the details panel', async () => {
    const slow = report.slowest[0];
    const root = slow.spans.find((span) => span.parentSpanId === '')!;
    const dom = await dumpDom(chromium, htmlFile, `#span=${slow.traceId}:${root.spanId}`);
    const panel = openDetailsPanel(dom)!;
    expect(panel).to.be.a('string');
    // The serializer escapes text nodes: the value is there, as text, and no element came of it.
    const asText = HOSTILE_ATTRIBUTE.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(panel).to.contain(asText);
    expect(dom).to.not.match(/<img\b/i);
    expect(count(dom, /<script\b/)).to.equal(2);
  });

  it('shows what buildReport made of exporter output (the path `otel-agent report --html` takes)', async () => {
    const spansFile = path.join(dir, 'spans.jsonl');
    fs.writeFileSync(spansFile, exporterLines());
    const built = await buildReport([spansFile]);
    expect(built.input.badLines).to.equal(1);
    expect(built.errors.total).to.equal(1);
    const builtHtml = path.join(dir, 'built.html');
    fs.writeFileSync(builtHtml, renderHtml(built));
    const dom = await dumpDom(chromium, builtHtml);
    expect(dom).to.match(/<body[^>]*data-ready="true"/);
    const counts = countElements(dom);
    expect(counts).to.deep.equal(countsFromReport(built));
    expect(counts.errorBars).to.be.above(0);
    expect(counts.graphNodes).to.equal(3); // shop, inventory, audit.internal
    expect(count(dom, /<g class="node uninstrumented"/)).to.equal(1);
    expect(count(dom, /<script\b/)).to.equal(2);
    expect(dom).to.not.match(/<b>stock/);
  });

  it('renders to a 1280x2000 PNG screenshot', async () => {
    await screenshot(chromium, htmlFile, SCREENSHOT_FILE, 1280, 2000);
    const png = fs.readFileSync(SCREENSHOT_FILE);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature').to.equal(true);
    // IHDR: width and height as big-endian 32-bit integers at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).to.deep.equal([1280, 2000]);
    // A blank page compresses to a few KB; tables, graph and bars make it much larger.
    expect(png.length).to.be.above(30_000);
  });
});
