#!/usr/bin/env node
'use strict';
/**
 * The span hand-off and the export worker's per-span work, without network, CPU time per span
 * (process.cpuUsage), an old build against a new one, on the spans of 256 express `/users/:id`
 * requests (an http SERVER span and an express span each), masking on:
 *   main thread: old toSpanRecord + structured-clone serialize (v8.serialize) | new span-codec encode
 *   worker: deserialize + mask + view + upstream protobuf | decode + mask + view + our protobuf
 *
 *   node bench/handoff-micro.js <old-root> [<new-root>=.]   (each root has a build/ from `npx tsc`)
 * Make the old root with: git archive <commit> | tar -x -C <dir>, node_modules linked, npx tsc.
 */
const path = require('node:path');
const ROOT = path.resolve(__dirname, '..');
const baseRoot = path.resolve(process.argv[2] || ROOT);
const newRoot = path.resolve(process.argv[3] || ROOT);
const v8 = require('node:v8');
const api = require('@opentelemetry/api');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const resource = resourceFromAttributes({ 'service.name': 'bench', 'host.name': 'h', 'process.pid': 42 });
const spans = [];
const provider = new TracerProvider({ spanProcessors: [{ onStart() {}, onEnd: (s) => spans.push(s), forceFlush: async () => {}, shutdown: async () => {} }] });
const th = provider.getTracer('@opentelemetry/instrumentation-http', '0.222.0'),
  te = provider.getTracer('@opentelemetry/instrumentation-express', '0.60.0');
for (let i = 0; i < 256; i++) {
  const s = th.startSpan('GET /users/:id', {
    kind: 1,
    attributes: {
      'http.request.method': 'GET',
      'url.path': `/users/${i}`,
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'http.route': '/users/:id',
      'user_agent.original': 'autocannon',
      'server.address': '127.0.0.1',
      'server.port': 40000,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 50000 + i,
      'network.protocol.version': '1.1',
      'client.address': '127.0.0.1',
    },
  });
  te.startSpan(
    'request handler - /users/:id',
    { attributes: { 'http.route': '/users/:id', 'express.name': '/users/:id', 'express.type': 'request_handler' } },
    api.trace.setSpan(api.context.active(), s),
  ).end();
  s.end();
}
function load(root) {
  const m = (p) => require(root + '/build/src/' + p);
  const { compileMaskingPolicy } = m('redact');
  const { policy } = compileMaskingPolicy({ extraPatterns: [], extraKeys: [], clientIp: 'mask' });
  const prepare = m('sdk/prepare-span-record').createSpanRecordPreparer({ captureStacktrace: true }, '/app', policy, () => {});
  return { m, prepare, toReadableSpan: m('sdk/readable-span-view').toReadableSpan };
}
const old = load(baseRoot),
  neu = load(newRoot);
const { toSpanRecord } = old.m('sdk/to-span-record');
const { SpanBatchEncoder, decodeSpanBatch } = neu.m('sdk/span-codec');
const { encodeTraceExportRequest } = neu.m('sdk/otlp-trace-encoder');
const enc = new SpanBatchEncoder();
const stages = {
  'old main: toSpanRecord + serialize (v8)': () => v8.serialize(spans.map(toSpanRecord)),
  'old worker: deserialize + mask + view + upstream protobuf': (() => {
    const ser = v8.serialize(spans.map(toSpanRecord));
    return () => ProtobufTraceSerializer.serializeRequest(v8.deserialize(ser).map((r) => old.toReadableSpan(old.prepare(r), resource)));
  })(),
  'new main: encode batch': () => {
    for (const s of spans) enc.add(s);
    enc.take();
  },
  'new worker: decode + mask + view + our protobuf': (() => {
    for (const s of spans) enc.add(s);
    const b = enc.take();
    return () => encodeTraceExportRequest(decodeSpanBatch(b).map((r) => neu.toReadableSpan(neu.prepare(r), resource)));
  })(),
};
for (let r = 0; r < 2; r++)
  for (const [label, fn] of Object.entries(stages)) {
    for (let i = 0; i < 100; i++) fn();
    const t = process.cpuUsage();
    const N = 500;
    for (let i = 0; i < N; i++) fn();
    const c = process.cpuUsage(t);
    if (r === 1) console.log(`${process.version} ${label}: ${((c.user + c.system) / N / spans.length).toFixed(2)} us/span`);
  }
