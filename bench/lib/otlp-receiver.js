'use strict';
/**
 * An OTLP gRPC trace receiver that reads and discards, like the peers' receivers
 * (bench/lib/peer-receivers.js): it keeps each request's bytes (a raw-bytes service definition, no
 * protobufjs), counts them and walks the protobuf just enough to count the spans and their names.
 * The test receiver decodes every span, which cost the bench's receiver process several times what the
 * Datadog-shaped one costs, on a 2-core machine where the receiver competes with the app.
 */
const grpc = require('@grpc/grpc-js');

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
/** The agent's OTLP metrics (TRACING_METRICS=otlp) go to the same endpoint: counted apart, not as spans. */
const METRICS_EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const EMPTY_RESPONSE = Buffer.alloc(0); // ExportTraceServiceResponse{} encodes to nothing

const raw = (b) => b;
const exportMethod = (path) => ({
  path,
  requestStream: false,
  responseStream: false,
  originalName: 'export',
  requestSerialize: raw,
  requestDeserialize: raw,
  responseSerialize: raw,
  responseDeserialize: raw,
});
const traceService = { Export: exportMethod(EXPORT_PATH) };
const metricsService = { Export: exportMethod(METRICS_EXPORT_PATH) };

function varint(b, o) {
  let v = 0;
  let shift = 0;
  for (;;) {
    if (o >= b.length) throw new RangeError('truncated protobuf varint');
    const x = b[o++];
    v += (x & 0x7f) * 2 ** shift;
    if (x < 0x80) return [v, o];
    shift += 7;
  }
}

/** Calls onField(fieldNumber, start, end) for each length-delimited field of the message b[from, to); skips the others. */
function eachBytesField(b, from, to, onField) {
  let o = from;
  while (o < to) {
    const [key, afterKey] = varint(b, o);
    const wire = key & 7;
    o = afterKey;
    if (wire === 0) o = varint(b, o)[1];
    else if (wire === 1) o += 8;
    else if (wire === 5) o += 4;
    else if (wire === 2) {
      const [len, start] = varint(b, o);
      o = start + len;
      if (o > to) throw new RangeError('truncated protobuf field');
      onField(Math.floor(key / 8), start, o);
    } else throw new RangeError(`unsupported protobuf wire type ${wire}`);
  }
}

/**
 * Spans of an ExportTraceServiceRequest (resource_spans = 1 -> scope_spans = 2 -> spans = 2), each
 * passed to onSpanName with its name (Span.name = 5).
 */
function countOtlpSpans(b, onSpanName) {
  let spans = 0;
  eachBytesField(b, 0, b.length, (f, s, e) => {
    if (f !== 1) return;
    eachBytesField(b, s, e, (f2, s2, e2) => {
      if (f2 !== 2) return;
      eachBytesField(b, s2, e2, (f3, s3, e3) => {
        if (f3 !== 2) return;
        spans++;
        if (onSpanName) eachBytesField(b, s3, e3, (f4, s4, e4) => f4 === 5 && onSpanName(b.toString('utf8', s4, e4)));
      });
    });
  });
  return spans;
}

async function startOtlpCountingReceiver() {
  const counters = { bytes: 0, decodedBytes: 0, spans: 0, exports: 0, decodeErrors: 0, metricsBytes: 0, metricsExports: 0, otherPaths: {}, names: new Map() };
  const onName = (name) => {
    if (counters.names.size < 200 || counters.names.has(name)) counters.names.set(name, (counters.names.get(name) || 0) + 1);
  };
  const server = new grpc.Server();
  server.addService(traceService, {
    Export(call, callback) {
      const body = call.request;
      counters.bytes += body.length;
      counters.decodedBytes += body.length;
      counters.exports++;
      try {
        counters.spans += countOtlpSpans(body, onName);
      } catch {
        counters.decodeErrors++;
      }
      callback(null, EMPTY_RESPONSE);
    },
  });
  server.addService(metricsService, {
    Export(call, callback) {
      counters.metricsBytes += call.request.length;
      counters.metricsExports++;
      callback(null, EMPTY_RESPONSE); // ExportMetricsServiceResponse{} encodes to nothing too
    },
  });
  const port = await new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { kind: 'otlp', url: `http://127.0.0.1:${port}`, server, counters };
}

/** Counters since the previous call (names: the top 20), then zeroed. */
function takeOtlpCounters(receiver) {
  const c = receiver.counters;
  const out = { ...c, names: Object.fromEntries([...c.names.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)) };
  Object.assign(c, { bytes: 0, decodedBytes: 0, spans: 0, exports: 0, decodeErrors: 0, metricsBytes: 0, metricsExports: 0, otherPaths: {}, names: new Map() });
  return out;
}

module.exports = { startOtlpCountingReceiver, takeOtlpCounters, countOtlpSpans };
