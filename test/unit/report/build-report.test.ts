import { expect } from 'chai';
import { buildReport } from '../../../src/report/build-report';
import { renderText, renderTraceText } from '../../../src/report/render-text';
import { lineOf, spanIdOf, TempDir, traceIdOf, type SpanSpec } from './spans';

/** One request: web's SERVER root -> web's CLIENT -> api's SERVER (api's span goes to `apiLines`). */
function request(n: number, options: { startMs: number; webMs: number; apiMs: number; apiError?: boolean; route?: string }) {
  const traceId = traceIdOf(n);
  const root: SpanSpec = {
    traceId,
    spanId: spanIdOf(n * 10 + 1),
    service: 'web',
    kind: 'SERVER',
    route: options.route ?? '/orders/:id',
    startMs: options.startMs,
    durationMs: options.webMs,
    statusCode: options.apiError ? 502 : 200,
    error: options.apiError,
  };
  const client: SpanSpec = {
    traceId,
    spanId: spanIdOf(n * 10 + 2),
    parentSpanId: root.spanId,
    service: 'web',
    kind: 'CLIENT',
    name: 'GET',
    startMs: options.startMs + 1,
    durationMs: options.apiMs + 1,
    attributes: { 'server.address': 'api.internal', 'server.port': 8080 },
    error: options.apiError,
  };
  const server: SpanSpec = {
    traceId,
    spanId: spanIdOf(n * 10 + 3),
    parentSpanId: client.spanId,
    service: 'api',
    kind: 'SERVER',
    route: '/items/:id',
    startMs: options.startMs + 1.5,
    durationMs: options.apiMs,
    statusCode: options.apiError ? 500 : 200,
    error: options.apiError,
    exception: options.apiError ? { type: 'Error', message: `out of stock for a***@example.com (#${n})` } : undefined,
  };
  // As the exporter writes them: children end first, so they come before their parents.
  return { webLines: [lineOf(client), lineOf(root)], apiLines: [lineOf(server)], traceId };
}

describe('buildReport', () => {
  let dir: TempDir;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => dir.remove());

  function twoServices(requests: ReturnType<typeof request>[]) {
    return {
      web: dir.write(
        'web.jsonl',
        requests.flatMap((r) => r.webLines),
      ),
      api: dir.write(
        'api.jsonl',
        requests.flatMap((r) => r.apiLines),
      ),
    };
  }

  it('latency per SERVER operation: counts, error rate and nearest-rank percentiles, slowest p95 first', async () => {
    const requests = Array.from({ length: 20 }, (_, i) => request(i + 1, { startMs: i * 100, webMs: 10 * (i + 1), apiMs: i + 1, apiError: i % 10 === 0 }));
    const { web, api } = twoServices(requests);
    const report = await buildReport([web, api]);
    expect(report.latency.map((row) => [row.service, row.operation, row.count, row.errorCount])).to.deep.equal([
      ['web', '/orders/:id', 20, 2],
      ['api', '/items/:id', 20, 2],
    ]);
    expect(report.latency[0]).to.include({ p50Ms: 100, p95Ms: 190, p99Ms: 200, maxMs: 200, errorRate: 0.1 });
    expect(report.latency[1]).to.include({ p50Ms: 10, p95Ms: 19, p99Ms: 20, maxMs: 20 });
    expect(report.input).to.deep.include({ lines: 60, spans: 60, badLines: 0, filteredOut: 0 });
  });

  it('latency uses head-sampled SERVER spans only; spans kept for their outcome still count as errors', async () => {
    const sampled = Array.from({ length: 4 }, (_, i) =>
      lineOf({ traceId: traceIdOf(100 + i), spanId: spanIdOf(100 + i), service: 'web', kind: 'SERVER', route: '/pay', durationMs: 10 }),
    );
    const kept = lineOf({
      traceId: traceIdOf(200),
      spanId: spanIdOf(200),
      service: 'web',
      kind: 'SERVER',
      route: '/pay',
      durationMs: 5000,
      error: true,
      attributes: { 'otel_agent.kept_by': 'error' },
    });
    const report = await buildReport([dir.write('kept.jsonl', [...sampled, kept])]);
    expect(report.latency.map((row) => [row.operation, row.count, row.maxMs])).to.deep.equal([['/pay', 4, 10]]);
    expect(report.input.keptByOutcome).to.equal(1);
    expect(report.errors.total).to.equal(1);
    expect(report.errors.traces[0].traceId).to.equal(traceIdOf(200));
  });

  it('joins calls across files in either order; unanswered calls go to the peer address', async () => {
    const requests = [request(1, { startMs: 0, webMs: 5, apiMs: 2 }), request(2, { startMs: 10, webMs: 5, apiMs: 2, apiError: true })];
    const { web, api } = twoServices(requests);
    const lonely = request(3, { startMs: 20, webMs: 5, apiMs: 2 });
    const webOnly = dir.write('web-only.jsonl', lonely.webLines);
    for (const files of [
      [web, api],
      [api, web],
    ]) {
      const report = await buildReport([...files, webOnly]);
      expect(report.graph.edges).to.deep.equal([
        { from: 'web', to: 'api', calls: 2, errors: 1, uninstrumented: false },
        { from: 'web', to: 'api.internal:8080', calls: 1, errors: 0, uninstrumented: true },
      ]);
      expect(report.graph.services).to.deep.equal(['api', 'api.internal:8080', 'web']);
    }
  });

  it('lists error traces newest first with root route, status code and the first exception; counts all', async () => {
    const requests = [1, 2, 3, 4].map((n) => request(n, { startMs: n * 1000, webMs: 5, apiMs: 2, apiError: n !== 2 }));
    const { web, api } = twoServices(requests);
    const report = await buildReport([api, web], { errorLimit: 2 });
    expect(report.errors.total).to.equal(3);
    expect(report.errors.traces.map((trace) => trace.traceId)).to.deep.equal([traceIdOf(4), traceIdOf(3)]);
    expect(report.errors.traces[0]).to.deep.include({
      service: 'web',
      operation: '/orders/:id',
      statusCode: 502,
      exceptionType: 'Error',
      exceptionMessage: 'out of stock for a***@example.com (#4)',
      errorSpanCount: 3,
    });
    // The listed error traces come with their trees, spans from both files.
    expect(report.errorTraces.map((tree) => [tree.traceId, tree.spans.length])).to.deep.equal([
      [traceIdOf(4), 3],
      [traceIdOf(3), 3],
    ]);
  });

  it('finds the root of an error trace whose root came before the error (root file read first)', async () => {
    const requests = [request(1, { startMs: 0, webMs: 5, apiMs: 2, apiError: true })];
    const root = requests[0].webLines[1];
    const file = dir.write('mixed.jsonl', [root, ...requests[0].apiLines]);
    const report = await buildReport([file]);
    expect(report.errors.traces).to.have.length(1);
    expect(report.errors.traces[0]).to.include({ service: 'web', operation: '/orders/:id', statusCode: 502 });
  });

  it('an error trace whose root is not in the input is listed by its earliest span', async () => {
    const requests = [request(1, { startMs: 0, webMs: 5, apiMs: 2, apiError: true }), request(2, { startMs: 10, webMs: 5, apiMs: 2, apiError: true })];
    const { web, api } = twoServices(requests);
    // Only api's file: trace 1's and 2's roots (web) are missing.
    const report = await buildReport([api], { errorLimit: 1 });
    expect(report.errors.total).to.equal(2);
    expect(report.errors.traces).to.have.length(1);
    expect(report.errors.traces[0]).to.deep.include({ traceId: traceIdOf(2), service: 'api', operation: '/items/:id', statusCode: 500, errorSpanCount: 1 });
    expect(report.errorTraces[0].spans).to.have.length(1);
    // With both files the root is found again.
    expect((await buildReport([api, web])).errors.traces[0]).to.include({ service: 'web', statusCode: 502 });
  });

  it('takes the earliest exception of a trace, not the first in file order', async () => {
    const traceId = traceIdOf(5);
    const file = dir.write('two-exceptions.jsonl', [
      lineOf({
        traceId,
        spanId: spanIdOf(2),
        parentSpanId: spanIdOf(1),
        service: 'web',
        startMs: 5,
        exception: { type: 'WrapError', message: 'wrapped', atMs: 9 },
      }),
      lineOf({
        traceId,
        spanId: spanIdOf(3),
        parentSpanId: spanIdOf(2),
        service: 'web',
        startMs: 6,
        exception: { type: 'TypeError', message: 'the cause', atMs: 7 },
      }),
      lineOf({ traceId, spanId: spanIdOf(1), service: 'web', kind: 'SERVER', route: '/x', startMs: 0, durationMs: 10 }),
    ]);
    const [listed] = (await buildReport([file])).errors.traces;
    expect(listed).to.include({ exceptionType: 'TypeError', exceptionMessage: 'the cause', errorSpanCount: 2 });
  });

  it('falls back to the status message when no exception was recorded', async () => {
    const file = dir.write('status.jsonl', [
      lineOf({ traceId: traceIdOf(9), spanId: spanIdOf(1), service: 'web', kind: 'SERVER', route: '/x', error: true, statusMessage: 'upstream timeout' }),
    ]);
    const report = await buildReport([file]);
    expect(report.errors.traces[0].exceptionType).to.equal(undefined);
    expect(report.errors.traces[0].exceptionMessage).to.equal('upstream timeout');
  });

  it('counts corrupt, truncated and non-span lines and reads on', async () => {
    const good = request(1, { startMs: 0, webMs: 5, apiMs: 2 });
    const truncated = good.apiLines[0].slice(0, 40);
    const file = dir.write('bad.jsonl', ['{not json', '["an array"]', '{"traceId":"x"}', truncated, ...good.webLines, ...good.apiLines, 'null']);
    const report = await buildReport([file]);
    expect(report.input).to.deep.include({ lines: 8, spans: 3, badLines: 5 });
    expect(report.latency).to.have.length(2);
  });

  it('reads gzip by content, whatever the name, and plain files named .gz', async () => {
    const requests = [request(1, { startMs: 0, webMs: 5, apiMs: 2 }), request(2, { startMs: 10, webMs: 7, apiMs: 3 })];
    const gzipped = dir.write(
      'web.jsonl',
      requests.flatMap((r) => r.webLines),
      { gzip: true },
    );
    const plain = dir.write(
      'api.jsonl.gz',
      requests.flatMap((r) => r.apiLines),
    );
    const report = await buildReport([gzipped, plain]);
    expect(report.input).to.deep.include({ spans: 6, badLines: 0 });
    expect(report.graph.edges[0]).to.include({ from: 'web', to: 'api', calls: 2 });
  });

  it('keeps the N slowest traces, slowest first, with every span of each', async () => {
    const requests = [30, 10, 50, 20, 40].map((ms, i) => request(i + 1, { startMs: i * 100, webMs: ms, apiMs: 1 }));
    const { web, api } = twoServices(requests);
    const report = await buildReport([web, api], { slowestLimit: 3 });
    expect(report.slowest.map((tree) => tree.durationMs)).to.deep.equal([50, 40, 30]);
    expect(report.slowest[0].spans.map((span) => span.kind)).to.deep.equal(['SERVER', 'CLIENT', 'SERVER']);
  });

  it('--service filters latency spans and graph edges; --route keeps traces whose root matches', async () => {
    const requests = [
      request(1, { startMs: 0, webMs: 5, apiMs: 2, apiError: true }),
      request(2, { startMs: 10, webMs: 9, apiMs: 2, route: '/health', apiError: true }),
    ];
    const { web, api } = twoServices(requests);
    const byService = await buildReport([web, api], { filters: { service: 'api' } });
    expect(byService.latency.map((row) => row.service)).to.deep.equal(['api']);
    expect(byService.input.filteredOut).to.equal(4);
    expect(byService.graph.edges).to.have.length(1);
    // The error traces' roots are web's: filtered to api, none is listed.
    expect(byService.errors.total).to.equal(0);

    const byRoute = await buildReport([web, api], { filters: { route: '/health' } });
    expect(byRoute.latency.map((row) => row.operation)).to.deep.equal(['/health']);
    expect(byRoute.errors.traces.map((trace) => trace.traceId)).to.deep.equal([traceIdOf(2)]);
    expect(byRoute.slowest.map((trace) => trace.traceId)).to.deep.equal([traceIdOf(2)]);
  });

  it('--since counts back from the newest span in the input, not from now', async () => {
    const requests = [0, 1, 2, 3].map((minute) => request(minute + 1, { startMs: minute * 60_000, webMs: 5, apiMs: 2, apiError: true }));
    const { web, api } = twoServices(requests);
    const report = await buildReport([web, api], { filters: { sinceMs: 90_000 } });
    expect(report.latency.map((row) => row.count)).to.deep.equal([2, 2]);
    expect(report.errors.total).to.equal(2);
    expect(report.graph.edges[0].calls).to.equal(2);
    expect(report.input.filteredOut).to.equal(6);
  });

  it('--trace collects that one trace, unfiltered', async () => {
    const requests = [request(1, { startMs: 0, webMs: 5, apiMs: 2 }), request(2, { startMs: 10, webMs: 5, apiMs: 2 })];
    const { web, api } = twoServices(requests);
    const report = await buildReport([web, api], { traceId: traceIdOf(1), filters: { route: '/nothing' } });
    expect(report.trace?.spans.map((span) => span.service)).to.deep.equal(['web', 'web', 'api']);
    expect(renderTraceText(report.trace!)).to.include('server.address: api.internal');
  });

  it('renders aligned text tables with the rows of each section', async () => {
    const requests = [request(1, { startMs: 0, webMs: 12, apiMs: 4, apiError: true }), request(2, { startMs: 10, webMs: 5, apiMs: 2 })];
    const lonely = request(3, { startMs: 20, webMs: 3, apiMs: 1 });
    const { web, api } = twoServices(requests);
    const text = renderText(await buildReport([web, api, dir.write('lonely.jsonl', lonely.webLines)]));
    const rows = text.split('\n').map((line) => line.split(/ {2,}/));
    expect(rows).to.deep.include(['web', '/orders/:id', '3', '1 (33.3%)', '5.00', '12.0', '12.0', '12.0']);
    expect(rows).to.deep.include(['api', '/items/:id', '2', '1 (50.0%)', '2.00', '4.00', '4.00', '4.00']);
    expect(rows).to.deep.include(['web', 'api', '2', '1']);
    expect(rows).to.deep.include(['web', 'api.internal:8080 (uninstrumented)', '1', '0']);
    expect(text).to.include('Errors: 1 trace with errors');
    expect(text, text).to.match(new RegExp(`${traceIdOf(1)} {2,}\\S+ {2,}web /orders/:id {2,}502 {2,}Error: out of stock for a\\*\\*\\*@example.com \\(#1\\)`));
    expect(text).to.include(`Trace ${traceIdOf(1)}  12.0 ms  web /orders/:id  ERROR`);
    // Table columns line up: the second column starts at the same offset on every latency row.
    const latencyRows = text.split('\n\n')[1].split('\n').slice(1);
    expect(new Set(latencyRows.map((line) => line.indexOf('  ') + line.slice(line.indexOf('  ')).search(/\S/))).size).to.equal(1);
  });
});
