/**
 * ExportMetricsServiceRequest in protobuf, with exemplars (trace_id, span_id), written by hand:
 * upstream's serializer takes sdk-metrics' data, whose aggregations keep no exemplars. Field numbers
 * from opentelemetry-proto v1.7.0 (opentelemetry/proto/metrics/v1/metrics.proto); the test receiver
 * decodes these bytes with protobufjs and that .proto, the witness that this encoder is right.
 * Temporality is cumulative (2), the same series Prometheus scrapes.
 */
import type { ExemplarSnapshot, HistogramPoint, MetricAttributes, MetricSnapshot, MetricsSnapshot, NumberPoint } from '../snapshot';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const AGGREGATION_TEMPORALITY_CUMULATIVE = 2;

/** Appends fields to a list of buffers; nested messages are encoded first and written with their length. */
class ProtoWriter {
  private readonly _parts: Buffer[] = [];
  private _length = 0;

  private _push(buffer: Buffer): void {
    this._parts.push(buffer);
    this._length += buffer.length;
  }

  private _varint(value: number | bigint): void {
    let v = typeof value === 'bigint' ? BigInt.asUintN(64, value) : BigInt.asUintN(64, BigInt(Math.trunc(value)));
    const bytes: number[] = [];
    while (v > 0x7fn) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this._push(Buffer.from(bytes));
  }

  private _tag(field: number, wire: number): void {
    this._varint((field << 3) | wire);
  }

  varint(field: number, value: number): this {
    this._tag(field, WIRE_VARINT);
    this._varint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return value ? this.varint(field, 1) : this;
  }

  fixed64(field: number, value: bigint): this {
    this._tag(field, WIRE_FIXED64);
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64LE(BigInt.asUintN(64, value));
    this._push(buffer);
    return this;
  }

  double(field: number, value: number): this {
    this._tag(field, WIRE_FIXED64);
    const buffer = Buffer.alloc(8);
    buffer.writeDoubleLE(value);
    this._push(buffer);
    return this;
  }

  bytes(field: number, value: Buffer): this {
    this._tag(field, WIRE_LENGTH);
    this._varint(value.length);
    this._push(value);
    return this;
  }

  string(field: number, value: string): this {
    return value === '' ? this : this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  packedFixed64(field: number, values: readonly number[]): this {
    const buffer = Buffer.alloc(values.length * 8);
    values.forEach((value, i) => buffer.writeBigUInt64LE(BigInt(Math.trunc(value)), i * 8));
    return this.bytes(field, buffer);
  }

  packedDouble(field: number, values: readonly number[]): this {
    const buffer = Buffer.alloc(values.length * 8);
    values.forEach((value, i) => buffer.writeDoubleLE(value, i * 8));
    return this.bytes(field, buffer);
  }

  finish(): Buffer {
    return Buffer.concat(this._parts, this._length);
  }
}

const nanos = (ms: number): bigint => BigInt(Math.round(ms * 1000)) * 1000n;

function anyValue(value: string | number | boolean): ProtoWriter {
  const writer = new ProtoWriter();
  if (typeof value === 'string') return writer.bytes(1, Buffer.from(value, 'utf8'));
  if (typeof value === 'boolean') return writer.varint(2, value ? 1 : 0);
  return Number.isInteger(value) ? writer.varint(3, value) : writer.double(4, value);
}

function writeAttributes(writer: ProtoWriter, field: number, attributes: MetricAttributes): void {
  for (const [key, value] of Object.entries(attributes)) {
    writer.message(field, new ProtoWriter().string(1, key).message(2, anyValue(value)));
  }
}

function exemplar(sample: ExemplarSnapshot): ProtoWriter {
  return new ProtoWriter()
    .fixed64(2, nanos(sample.timeMs))
    .double(3, sample.value)
    .bytes(4, Buffer.from(sample.spanId, 'hex'))
    .bytes(5, Buffer.from(sample.traceId, 'hex'));
}

function histogramPoint(point: HistogramPoint, bounds: readonly number[], start: bigint, time: bigint): ProtoWriter {
  const writer = new ProtoWriter()
    .fixed64(2, start)
    .fixed64(3, time)
    .fixed64(4, BigInt(point.count))
    .double(5, point.sum)
    .packedFixed64(6, point.bucketCounts)
    .packedDouble(7, bounds);
  for (const sample of point.exemplars) if (sample !== null) writer.message(8, exemplar(sample));
  writeAttributes(writer, 9, point.attributes);
  if (point.count > 0) writer.double(11, point.min).double(12, point.max);
  return writer;
}

function numberPoint(point: NumberPoint, start: bigint, time: bigint): ProtoWriter {
  const writer = new ProtoWriter().fixed64(2, start).fixed64(3, time).double(4, point.value);
  writeAttributes(writer, 7, point.attributes);
  return writer;
}

function metric(data: MetricSnapshot, start: bigint, time: bigint): ProtoWriter {
  const writer = new ProtoWriter().string(1, data.name).string(2, data.description).string(3, data.unit);
  if (data.kind === 'histogram') {
    const histogram = new ProtoWriter();
    for (const point of data.points) histogram.message(1, histogramPoint(point, data.bounds, start, time));
    histogram.varint(2, AGGREGATION_TEMPORALITY_CUMULATIVE);
    return writer.message(9, histogram);
  }
  const points = new ProtoWriter();
  for (const point of data.points) points.message(1, numberPoint(point, start, time));
  if (data.kind === 'gauge') return writer.message(5, points);
  points.varint(2, AGGREGATION_TEMPORALITY_CUMULATIVE).bool(3, data.monotonic);
  return writer.message(7, points);
}

/** One ResourceMetrics with a ScopeMetrics per instrumentation scope, in first-seen order. */
export function encodeExportMetricsServiceRequest(snapshot: MetricsSnapshot, resourceAttributes: MetricAttributes, scopeVersion: string): Buffer {
  const start = nanos(snapshot.startTimeMs);
  const time = nanos(snapshot.timeMs);
  const byScope = new Map<string, MetricSnapshot[]>();
  for (const data of snapshot.metrics) {
    if (data.points.length === 0) continue;
    const list = byScope.get(data.scope);
    if (list !== undefined) list.push(data);
    else byScope.set(data.scope, [data]);
  }
  const resource = new ProtoWriter();
  writeAttributes(resource, 1, resourceAttributes);
  const resourceMetrics = new ProtoWriter().message(1, resource);
  for (const [scope, metrics] of byScope) {
    const scopeMetrics = new ProtoWriter().message(1, new ProtoWriter().string(1, scope).string(2, scope === '@x/otel-agent' ? scopeVersion : ''));
    for (const data of metrics) scopeMetrics.message(2, metric(data, start, time));
    resourceMetrics.message(2, scopeMetrics);
  }
  return new ProtoWriter().message(1, resourceMetrics).finish();
}
