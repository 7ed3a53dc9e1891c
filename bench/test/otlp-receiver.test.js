'use strict';
// The counting OTLP receiver must count what a full decoder sees: spans and their names, in every
// resource and scope, past attributes, events and links.
const { expect } = require('chai');
const path = require('node:path');
const protobuf = require('protobufjs');
const grpc = require('@grpc/grpc-js');
const { startOtlpCountingReceiver, takeOtlpCounters, countOtlpSpans } = require('../lib/otlp-receiver');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'test', 'helpers', 'receivers', 'proto');
function requestType() {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => path.join(PROTO_ROOT, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  return root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
}
const attr = (key, stringValue) => ({ key, value: { stringValue } });
function span(name, i) {
  return {
    traceId: Buffer.alloc(16, 1),
    spanId: Buffer.alloc(8, i + 1),
    name,
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n.toString(),
    endTimeUnixNano: 1_700_000_000_100_000_000n.toString(),
    attributes: [attr('http.route', '/users/:id'), attr('url.path', '/users/42'), { key: 'http.response.status_code', value: { intValue: 200 } }],
    events: [{ name: 'exception', timeUnixNano: '1', attributes: [attr('exception.message', 'x'.repeat(300))] }],
    status: { code: 1 },
  };
}
function encodeRequest() {
  const T = requestType();
  const msg = T.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', 'bench')] },
        scopeSpans: [
          { scope: { name: 'http' }, spans: [span('GET /users/:id', 0), span('GET', 1)] },
          { scope: { name: 'express' }, spans: [span('request handler - /users/:id', 2)] },
        ],
      },
      { resource: { attributes: [attr('service.name', 'other')] }, scopeSpans: [{ scope: { name: 'undici' }, spans: [span('GET', 3)] }] },
    ],
  });
  return Buffer.from(T.encode(msg).finish());
}

describe('bench OTLP counting receiver', () => {
  it('counts the spans and names a full decoder sees', () => {
    const names = [];
    expect(countOtlpSpans(encodeRequest(), (n) => names.push(n))).to.equal(4);
    expect(names).to.deep.equal(['GET /users/:id', 'GET', 'request handler - /users/:id', 'GET']);
  });
  it('throws on a truncated request rather than counting a guess', () => {
    const body = encodeRequest();
    expect(() => countOtlpSpans(body.subarray(0, body.length - 7))).to.throw(RangeError);
  });
  it('answers a gRPC Export and counts bytes, spans, names; zeroed after each take', async () => {
    const r = await startOtlpCountingReceiver();
    const client = new grpc.Client(r.url.replace('http://', ''), grpc.credentials.createInsecure());
    try {
      const body = encodeRequest();
      await new Promise((resolve, reject) =>
        client.makeUnaryRequest(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (b) => b,
          (b) => b,
          body,
          (err, res) => (err ? reject(err) : resolve(res)),
        ),
      );
      const c = takeOtlpCounters(r);
      expect(c).to.include({ bytes: body.length, spans: 4, exports: 1, decodeErrors: 0 });
      expect(c.names).to.deep.equal({ GET: 2, 'GET /users/:id': 1, 'request handler - /users/:id': 1 });
      expect(takeOtlpCounters(r)).to.include({ bytes: 0, spans: 0, exports: 0 });
    } finally {
      client.close();
      r.server.forceShutdown();
    }
  });
});
