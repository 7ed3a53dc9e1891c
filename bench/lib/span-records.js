'use strict';
/**
 * The span records the micro-benchmarks mask and hand off (bench/micro.js, bench/redact/span-mask-bench.js):
 * an http SERVER span of 16 attributes and an exception span whose message holds an email.
 */
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const EXC_MESSAGE = 'payment failed for customer jane.doe@example.com: upstream returned 502 after 3 retries';
const EXC_STACK = [
  `Error: ${EXC_MESSAGE}`,
  '    at chargeCard (/srv/app/src/payments/charge.js:42:11)',
  '    at async PaymentService.capture (/srv/app/src/payments/service.js:118:20)',
  '    at async checkout (/srv/app/src/routes/checkout.js:57:5)',
  '    at Layer.handleRequest (/srv/app/node_modules/router/lib/layer.js:152:17)',
  '    at next (/srv/app/node_modules/router/lib/route.js:157:13)',
  '    at Route.dispatch (/srv/app/node_modules/router/lib/route.js:117:3)',
  '    at handle (/srv/app/node_modules/router/index.js:435:11)',
  '    at Layer.handleRequest (/srv/app/node_modules/router/lib/layer.js:152:17)',
  '    at /srv/app/node_modules/router/index.js:295:15',
  '    at processParams (/srv/app/node_modules/router/index.js:582:12)',
].join('\n');
const HTTP_ATTRIBUTES = {
  'http.url': 'http://api.example.com:8080/users/42?page=2&sort=name',
  'http.host': 'api.example.com:8080',
  'net.host.name': 'api.example.com',
  'http.method': 'GET',
  'http.scheme': 'http',
  'http.target': '/users/42?page=2&sort=name',
  'http.user_agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'http.flavor': '1.1',
  'net.transport': 'ip_tcp',
  'net.host.ip': '10.0.3.4',
  'net.host.port': 8080,
  'net.peer.ip': '203.0.113.9',
  'net.peer.port': 53412,
  'http.status_code': 200,
  'http.status_text': 'OK',
  'http.route': '/users/:id',
};

function spanRecord({ name, kind, attributes, events }) {
  return {
    context: { traceId: TRACE_ID, spanId: '00f067aa0ba902b7', traceFlags: 1 },
    parentSpanId: undefined,
    name,
    kind,
    startTime: [1732240000, 1000],
    endTime: [1732240000, 2501000],
    duration: [0, 2500000],
    attributes,
    events,
    links: [],
    status: events.length ? { code: 2, message: EXC_MESSAGE } : { code: 0 },
    scope: { name: '@opentelemetry/instrumentation-http', version: '0.222.0' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
const EXCEPTION_RECORD = spanRecord({
  name: 'GET /checkout',
  kind: 1,
  attributes: { 'http.method': 'POST', 'http.route': '/checkout', 'http.status_code': 500 },
  events: [
    {
      name: 'exception',
      time: [1732240000, 2000000],
      attributes: { 'exception.type': 'Error', 'exception.message': EXC_MESSAGE, 'exception.stacktrace': EXC_STACK },
    },
  ],
});
const HTTP_RECORD = spanRecord({ name: 'GET /users/:id', kind: 1, attributes: HTTP_ATTRIBUTES, events: [] });

module.exports = { TRACE_ID, EXC_MESSAGE, EXC_STACK, HTTP_ATTRIBUTES, spanRecord, HTTP_RECORD, EXCEPTION_RECORD };
