/**
 * A hand-built `Report` for the HTML renderer's tests (unit and Chromium): three services and an
 * uninstrumented peer, a slow trace, an error trace (also among the slowest, to check de-duplication)
 * and a second error trace, with hostile text in names and attributes.
 */
import type { Report, ReportSpan, TraceTree } from '../../src/report/model';

const T0 = 1_763_000_000_000_000_000n; // ns
const at = (ms: number) => (T0 + BigInt(Math.round(ms * 1e6))).toString();

export const HOSTILE_NAME = 'GET /search?q=</script><script>alert(1)</script>';
export const HOSTILE_ATTRIBUTE = '"><img src=x onerror=alert(2)> </script><!--';

function span(
  traceId: string,
  spanId: string,
  parentSpanId: string,
  service: string,
  name: string,
  kind: string,
  startMs: number,
  durationMs: number,
  extra: Partial<ReportSpan> = {},
): ReportSpan {
  return {
    traceId,
    spanId,
    parentSpanId,
    name,
    kind,
    service,
    startTimeUnixNano: at(startMs),
    durationMs,
    status: { code: 'UNSET' },
    attributes: {},
    events: [],
    ...extra,
  };
}

const SLOW = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1';
const FAILED = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2';
const FAILED_FAST = 'ccccccccccccccccccccccccccccccc3';

/** web → shop → inventory, shop → payments (not instrumented); slow in inventory. */
const slowTrace: TraceTree = {
  traceId: SLOW,
  durationMs: 480,
  startTimeUnixNano: at(0),
  service: 'web',
  operation: 'GET /checkout',
  hasError: false,
  // Deliberately not in tree order: the renderer sorts.
  spans: [
    span(SLOW, '0000000000000004', '0000000000000003', 'inventory', 'GET /stock/:id', 'SERVER', 22, 400, {
      attributes: { 'http.route': '/stock/:id', 'http.response.status_code': 200 },
    }),
    span(SLOW, '0000000000000001', '', 'web', 'GET /checkout', 'SERVER', 0, 480, {
      attributes: { 'http.route': '/checkout', 'url.full': 'http://web.local/checkout', 'user.note': HOSTILE_ATTRIBUTE },
    }),
    span(SLOW, '0000000000000005', '0000000000000002', 'shop', 'POST', 'CLIENT', 430, 35, {
      attributes: { 'server.address': 'payments.internal', 'http.response.status_code': 200 },
    }),
    span(SLOW, '0000000000000002', '0000000000000001', 'shop', 'GET /cart', 'SERVER', 10, 460),
    span(SLOW, '0000000000000003', '0000000000000002', 'shop', 'GET', 'CLIENT', 20, 405),
  ],
};

/** web → shop, shop throws: status ERROR and an exception event on the shop span. */
const failedTrace: TraceTree = {
  traceId: FAILED,
  durationMs: 120,
  startTimeUnixNano: at(1000),
  service: 'web',
  operation: HOSTILE_NAME,
  hasError: true,
  spans: [
    span(FAILED, '1000000000000001', '', 'web', HOSTILE_NAME, 'SERVER', 1000, 120, {
      status: { code: 'ERROR' },
      attributes: { 'http.response.status_code': 500 },
    }),
    span(FAILED, '1000000000000002', '1000000000000001', 'web', 'GET', 'CLIENT', 1005, 100, { status: { code: 'ERROR' } }),
    span(FAILED, '1000000000000003', '1000000000000002', 'shop', 'GET /cart', 'SERVER', 1010, 90, {
      status: { code: 'ERROR', message: 'card declined' },
      attributes: { 'http.route': '/cart', 'http.response.status_code': 500 },
      events: [
        {
          name: 'exception',
          timeUnixNano: at(1090),
          attributes: {
            'exception.type': 'Error',
            'exception.message': 'card [REDACTED] declined for [REDACTED]',
            'exception.stacktrace': 'Error: card declined\n    at handler (/app/shop.js:10:11)',
          },
        },
      ],
    }),
  ],
};

/** Only an exception event (status left UNSET): still an error bar. */
const failedFastTrace: TraceTree = {
  traceId: FAILED_FAST,
  durationMs: 8,
  startTimeUnixNano: at(2000),
  service: 'shop',
  operation: 'GET /cart',
  hasError: true,
  spans: [
    span(FAILED_FAST, '2000000000000001', '', 'shop', 'GET /cart', 'SERVER', 2000, 8, {
      events: [{ name: 'exception', timeUnixNano: at(2004), attributes: { 'exception.type': 'TypeError', 'exception.message': 'x is undefined' } }],
    }),
  ],
};

export function buildFixtureReport(): Report {
  return {
    input: { files: ['/var/log/app/web.jsonl', '/var/log/app/shop.jsonl'], lines: 12, spans: 9, badLines: 1, filteredOut: 0, keptByOutcome: 0 },
    filters: {},
    latency: [
      { service: 'web', operation: '/checkout', count: 40, errorCount: 0, errorRate: 0, p50Ms: 120, p95Ms: 450, p99Ms: 479, maxMs: 480 },
      { service: 'shop', operation: '/cart', count: 41, errorCount: 2, errorRate: 2 / 41, p50Ms: 80, p95Ms: 440, p99Ms: 460, maxMs: 460 },
      { service: 'inventory', operation: '/stock/:id', count: 40, errorCount: 0, errorRate: 0, p50Ms: 12, p95Ms: 380, p99Ms: 400, maxMs: 400 },
    ],
    errors: {
      total: 3,
      traces: [
        {
          traceId: FAILED_FAST,
          startTimeUnixNano: at(2000),
          service: 'shop',
          operation: 'GET /cart',
          exceptionType: 'TypeError',
          exceptionMessage: 'x is undefined',
          errorSpanCount: 1,
        },
        {
          traceId: FAILED,
          startTimeUnixNano: at(1000),
          service: 'web',
          operation: HOSTILE_NAME,
          statusCode: 500,
          exceptionType: 'Error',
          exceptionMessage: 'card [REDACTED] declined for [REDACTED]',
          errorSpanCount: 3,
        },
      ],
    },
    graph: {
      services: ['inventory', 'shop', 'web'],
      edges: [
        { from: 'web', to: 'shop', calls: 41, errors: 1, uninstrumented: false },
        { from: 'shop', to: 'inventory', calls: 40, errors: 0, uninstrumented: false },
        { from: 'shop', to: 'payments.internal', calls: 40, errors: 0, uninstrumented: true },
      ],
    },
    slowest: [slowTrace, failedTrace],
    errorTraces: [failedFastTrace, failedTrace],
  };
}

/** What the page must show for `buildFixtureReport()`, counted by hand. */
export const FIXTURE_EXPECTED = {
  waterfalls: 3, // slow, failed, failed-fast (failed is in both lists)
  bars: 5 + 3 + 1,
  errorBars: 3 + 1,
  graphNodes: 4, // web, shop, inventory, payments.internal
  graphEdges: 3,
  errorEdges: 1,
  errorRows: 2,
};
