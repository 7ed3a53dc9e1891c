/**
 * ReadableSpan[] -> OTLP ExportTraceServiceRequest protobuf bytes, for the OTLP gRPC and http/protobuf
 * exporters (in the export worker). Same bytes as upstream's ProtobufTraceSerializer
 * (@opentelemetry/otlp-transformer 0.222.0, trace/protobuf/trace-serializer.js): the same fields in
 * the same order, the same grouping (by resource and scope object identity), canonical varints;
 * test/unit/sdk/otlp-trace-encoder.test.ts proves it byte for byte over a corpus.
 *
 * Why our own: upstream's was the export worker's largest cost under load (45% of its CPU on Node 24,
 * bench/profile.js). It runs every message twice (a size-estimating pass, then the writing pass),
 * reserves one byte for every length prefix and so shifts the whole batch with copyWithin for each
 * span, scope and resource message longer than 127 bytes (every one of them), allocates a Uint8Array
 * per id (hexToBinary) and writes strings one char at a time. This one makes one pass into a scratch
 * buffer kept across exports, reserves the length bytes a message of that level usually needs (so a
 * shift is rare), writes ids straight from hex, long strings through Buffer's native UTF-8 writer, and
 * copies the request out once.
 */
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import type { Attributes, HrTime, Link, SpanContext, SpanStatus } from '@opentelemetry/api';
import { copyCharsUpTo } from './copy-chars';

const SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK = 0x100;
const SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK = 0x200;
/** int64 range for int_value (as upstream: integers beyond 2^53 that fit in int64 stay integers). */
const MIN_64_BIT_INT = -(2 ** 63);
const MAX_64_BIT_INT = 2 ** 63;
/** Strings at least this long go through Buffer's native UTF-8 writer; shorter ASCII ones a JS loop. */
const NATIVE_STRING_MIN_LENGTH = 32;
/** A scratch buffer grown past this by one big batch is not kept for the next export. */
const MAX_KEPT_SCRATCH_BYTES = 4 * 1024 * 1024;

/** Length bytes reserved per message level: the varint size its length usually has. */
const RESERVE_SMALL = 1; // key-values, values, status, scope, resource
const RESERVE_SPAN = 2; // a span: 128 B .. 16 KiB
const RESERVE_BATCH = 3; // resource spans, scope spans: 16 KiB .. 2 MiB

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

function buildSpanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  let flags = (traceFlags & 0xff) | SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK;
  if (isRemote) flags |= SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK;
  return flags;
}

/** Char code -> upstream's hex digit value: 0-9, a-f, and `code - 55` for the rest (A-F, and garbage rather than a failure). */
const HEX_VALUE = new Int16Array(256);
for (let c = 0; c < 256; c++) HEX_VALUE[c] = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c - 55;

/** Upstream's hexToBinary digit, by table for the codes ids are made of (NaN, past the end of an odd id, stays NaN). */
function hexValue(charCode: number): number {
  return charCode < 256 ? HEX_VALUE[charCode] : charCode - 55;
}

class ProtobufBuffer {
  buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Starts a length-delimited message with `reserve` bytes for its length; returns its start. */
  begin(reserve: number): number {
    this.ensure(reserve);
    const start = this.pos;
    this.pos += reserve;
    return start;
  }

  /** Writes the length of the message begun at `start` (canonical varint), shifting it when needed. */
  end(start: number, reserve: number): void {
    const length = this.pos - start - reserve;
    const size = varintSize(length);
    if (size !== reserve) {
      if (size > reserve) this.ensure(size - reserve);
      this.buf.copyWithin(start + size, start + reserve, this.pos);
      this.pos += size - reserve;
    }
    let at = start;
    let v = length;
    while (v > 0x7f) {
      this.buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[at] = v;
  }

  /** Upstream's ProtobufWriter.writeVarint, value for value (negative: 10-byte two's complement). */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 0x7f) {
        buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 0x100000000) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 0x100000000) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 0x7f) {
      buf[this.pos++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 0x7f;
  }

  /** A field's tag: one byte below field 16, two from 16 on. */
  tag(fieldNumber: number, wireType: number): void {
    const tag = (fieldNumber << 3) | wireType;
    if (tag > 0x7f) {
      this.varint(tag);
      return;
    }
    this.ensure(1);
    this.buf[this.pos++] = tag;
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(value >>> 0, this.pos);
    this.pos += 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  /** Upstream's writeHrTimeAsFixed64: seconds * 1e9 + nanos as uint64, exact beyond 2^53 (split so no product passes 2^53). */
  hrTime(hrTime: HrTime): void {
    const seconds = hrTime[0];
    const nanos = hrTime[1];
    const fromLower16Bits = (seconds & 0xffff) * 1_000_000_000;
    const fromUpperBits = ((seconds / 0x10000) >>> 0) * 1_000_000_000;
    const low32WithCarry = (fromLower16Bits >>> 0) + (((fromUpperBits & 0xffff) * 0x10000) >>> 0) + nanos;
    const carry = Math.floor(low32WithCarry / 0x100000000);
    const high = (Math.floor(fromLower16Bits / 0x100000000) + ((fromUpperBits / 0x10000) >>> 0) + carry) >>> 0;
    this.ensure(8);
    this.buf.writeUInt32LE(low32WithCarry >>> 0, this.pos);
    this.buf.writeUInt32LE(high, this.pos + 4);
    this.pos += 8;
  }

  string(value: string): void {
    const length = value.length;
    if (length < NATIVE_STRING_MIN_LENGTH) {
      // One pass, checked while copied; a char past ASCII leaves `pos` as it was for the UTF-8 path.
      this.ensure(length + 1);
      const buf = this.buf;
      const at = this.pos + 1;
      if (copyCharsUpTo(value, buf, at, 0x7f) === length) {
        buf[at - 1] = length; // < 128: a one-byte varint
        this.pos = at + length;
        return;
      }
    }
    // Lone surrogates become U+FFFD, as TextEncoder (upstream) does.
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.ensure(bytes);
    this.pos += this.buf.write(value, this.pos, bytes, 'utf8');
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /**
   * An id given in hex, as bytes: upstream's hexToBinary without its intermediate array, including
   * what it does with a malformed id (an odd length keeps the whole pairs only).
   */
  hexBytes(hex: string): void {
    const length = Math.floor(hex.length / 2);
    this.varint(length);
    this.ensure(length);
    const buf = this.buf;
    const at = this.pos;
    for (let i = 0; i < length; i++) buf[at + i] = (hexValue(hex.charCodeAt(2 * i)) << 4) | hexValue(hex.charCodeAt(2 * i + 1));
    this.pos = at + length;
  }

  /** Copies bytes written earlier (a pre-encoded span) in. */
  raw(source: Buffer, start: number, end: number): void {
    this.ensure(end - start);
    this.pos += source.copy(this.buf, this.pos, start, end);
  }

  /** The request, copied out (the exporter may keep it for a retry while the scratch is reused). */
  take(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    this.reset();
    return out;
  }

  /** Empty again, for the next use of the scratch; a buffer one big batch grew is let go. */
  reset(): void {
    this.pos = 0;
    if (this.buf.length > MAX_KEPT_SCRATCH_BYTES) this.buf = Buffer.allocUnsafe(64 * 1024);
  }
}

function writeAnyValue(w: ProtobufBuffer, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.tag(1, 2);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.tag(2, 0);
    w.varint(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_64_BIT_INT && n < MAX_64_BIT_INT) {
      w.tag(3, 0);
      w.varint(n);
    } else {
      w.tag(4, 1);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.tag(7, 2);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const array = w.begin(RESERVE_SMALL);
    for (const item of value) {
      w.tag(1, 2);
      const start = w.begin(RESERVE_SMALL);
      writeAnyValue(w, item);
      w.end(start, RESERVE_SMALL);
    }
    w.end(array, RESERVE_SMALL);
  } else if (t === 'object' && value != null) {
    w.tag(6, 2);
    const list = w.begin(RESERVE_SMALL);
    const object = value as Record<string, unknown>;
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
      w.tag(1, 2);
      const kv = w.begin(RESERVE_SMALL);
      writeKeyValueBody(w, key, object[key]);
      w.end(kv, RESERVE_SMALL);
    }
    w.end(list, RESERVE_SMALL);
  }
  // Anything else (undefined, null, bigint, functions): an empty AnyValue, as upstream.
}

function writeKeyValueBody(w: ProtobufBuffer, key: string, value: unknown): void {
  w.tag(1, 2);
  w.string(key);
  w.tag(2, 2);
  const start = w.begin(RESERVE_SMALL);
  writeAnyValue(w, value);
  w.end(start, RESERVE_SMALL);
}

function writeAttributes(w: ProtobufBuffer, attributes: Attributes, fieldNumber: number): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue;
    w.tag(fieldNumber, 2);
    const start = w.begin(RESERVE_SMALL);
    writeKeyValueBody(w, key, attributes[key]);
    w.end(start, RESERVE_SMALL);
  }
}

function writeStatus(w: ProtobufBuffer, status: SpanStatus): void {
  const start = w.begin(RESERVE_SMALL);
  if (status.message) {
    w.tag(2, 2);
    w.string(status.message);
  }
  w.tag(3, 0);
  w.varint(status.code);
  w.end(start, RESERVE_SMALL);
}

function writeEvent(w: ProtobufBuffer, event: TimedEvent): void {
  const start = w.begin(RESERVE_SMALL);
  w.tag(1, 1);
  w.hrTime(event.time);
  w.tag(2, 2);
  w.string(event.name);
  if (event.attributes) writeAttributes(w, event.attributes, 3);
  w.tag(4, 0);
  w.varint(event.droppedAttributesCount || 0);
  w.end(start, RESERVE_SMALL);
}

/** trace_id = 1, span_id = 2, trace_state = 3: the same field numbers in Span and Span.Link. */
function writeSpanIdentity(w: ProtobufBuffer, context: SpanContext): void {
  w.tag(1, 2);
  w.hexBytes(context.traceId);
  w.tag(2, 2);
  w.hexBytes(context.spanId);
  const traceState = context.traceState?.serialize();
  if (traceState) {
    w.tag(3, 2);
    w.string(traceState);
  }
}

function writeLink(w: ProtobufBuffer, link: Link): void {
  const start = w.begin(RESERVE_SMALL);
  const context = link.context;
  writeSpanIdentity(w, context);
  if (link.attributes) writeAttributes(w, link.attributes, 4);
  w.tag(5, 0);
  w.varint(link.droppedAttributesCount || 0);
  w.tag(6, 5);
  w.fixed32(buildSpanFlags(context.traceFlags, context.isRemote));
  w.end(start, RESERVE_SMALL);
}

function writeSpan(w: ProtobufBuffer, span: ReadableSpan): void {
  const start = w.begin(RESERVE_SPAN);
  const context = span.spanContext();
  writeSpanIdentity(w, context);
  const parent = span.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, 2);
    w.hexBytes(parent.spanId);
  }
  w.tag(5, 2);
  w.string(span.name);
  // OTLP's SpanKind is the API's plus one (0 is "unspecified").
  const kind = span.kind == null ? 0 : span.kind + 1;
  if (kind !== 0) {
    w.tag(6, 0);
    w.varint(kind);
  }
  w.tag(7, 1);
  w.hrTime(span.startTime);
  w.tag(8, 1);
  w.hrTime(span.endTime);
  if (span.attributes) writeAttributes(w, span.attributes, 9);
  w.tag(10, 0);
  w.varint(span.droppedAttributesCount);
  for (const event of span.events) {
    w.tag(11, 2);
    writeEvent(w, event);
  }
  w.tag(12, 0);
  w.varint(span.droppedEventsCount);
  for (const link of span.links) {
    w.tag(13, 2);
    writeLink(w, link);
  }
  w.tag(14, 0);
  w.varint(span.droppedLinksCount);
  w.tag(15, 2);
  writeStatus(w, span.status);
  w.tag(16, 5);
  w.fixed32(buildSpanFlags(context.traceFlags, parent?.isRemote));
  w.end(start, RESERVE_SPAN);
}

type Scope = ReadableSpan['instrumentationScope'];
type SpanResource = ReadableSpan['resource'];

function writeScope(w: ProtobufBuffer, scope: Scope & { attributes?: Attributes; droppedAttributesCount?: number }): void {
  w.tag(1, 2);
  const start = w.begin(RESERVE_SMALL);
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  if (scope.attributes) writeAttributes(w, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(scope.droppedAttributesCount);
  }
  w.end(start, RESERVE_SMALL);
}

function writeResource(w: ProtobufBuffer, resource: SpanResource): void {
  w.tag(1, 2);
  const start = w.begin(RESERVE_SMALL);
  if (resource.attributes) writeAttributes(w, resource.attributes, 1);
  w.tag(2, 0);
  w.varint(0);
  w.end(start, RESERVE_SMALL);
}

/** Spans by resource, then by scope, both by object identity and in first-seen order (as upstream). */
function groupSpans<T extends ReadableSpan | EncodedSpan>(spans: readonly T[]): Map<SpanResource, Map<Scope, T[]>> {
  const byResource = new Map<SpanResource, Map<Scope, T[]>>();
  for (const span of spans) {
    let byScope = byResource.get(span.resource);
    if (byScope === undefined) {
      byScope = new Map();
      byResource.set(span.resource, byScope);
    }
    let group = byScope.get(span.instrumentationScope);
    if (group === undefined) {
      group = [];
      byScope.set(span.instrumentationScope, group);
    }
    group.push(span);
  }
  return byResource;
}

const scratch = new ProtobufBuffer();

/**
 * A span already written as its OTLP Span message (length prefix and body), by preEncodeSpans when it
 * reaches the export worker, queued in the OTLP exporters' BatchSpanProcessors in place of the span.
 * What those read of it is all it has: spanContext().traceFlags (onEnd), resource (async attributes)
 * and, here, resource and instrumentationScope for grouping and the bytes.
 *
 * Why: a queued span object graph (its view, attributes, events, strings) survives the worker's young
 * generation scavenges while it waits behind an export in flight, and each scavenge copied it (3.6 ms
 * each under load, measured); a queued EncodedSpan is one small object over bytes outside the heap.
 */
export class EncodedSpan {
  constructor(
    /** Shared by the spans of one preEncodeSpans call. */
    readonly buffer: Buffer,
    readonly start: number,
    readonly end: number,
    readonly traceFlags: number,
    readonly resource: SpanResource,
    readonly instrumentationScope: Scope,
  ) {}

  spanContext(): { traceFlags: number } {
    return { traceFlags: this.traceFlags };
  }
}

/**
 * Writes each span's Span message now, into one buffer for all of them: encodeTraceExportRequest then
 * copies the bytes where writeSpan would have written them, so the request is the same, byte for byte.
 */
export function preEncodeSpans(spans: readonly ReadableSpan[]): EncodedSpan[] {
  const w = scratch;
  w.pos = 0;
  try {
    const ends: number[] = [];
    for (const span of spans) {
      writeSpan(w, span);
      ends.push(w.pos);
    }
    const buffer = Buffer.allocUnsafe(w.pos);
    w.buf.copy(buffer, 0, 0, w.pos);
    const encoded: EncodedSpan[] = [];
    let start = 0;
    for (let i = 0; i < spans.length; i++) {
      const span = spans[i];
      encoded.push(new EncodedSpan(buffer, start, ends[i], span.spanContext().traceFlags, span.resource, span.instrumentationScope));
      start = ends[i];
    }
    return encoded;
  } finally {
    w.reset();
  }
}

/** Spans or pre-encoded spans (preEncodeSpans), in any mix: the same request. */
export function encodeTraceExportRequest(spans: ReadonlyArray<ReadableSpan | EncodedSpan>): Uint8Array {
  const w = scratch;
  w.pos = 0;
  try {
    for (const [resource, byScope] of groupSpans(spans)) {
      w.tag(1, 2);
      const resourceSpans = w.begin(RESERVE_BATCH);
      writeResource(w, resource);
      for (const [scope, group] of byScope) {
        w.tag(2, 2);
        const scopeSpans = w.begin(RESERVE_BATCH);
        writeScope(w, scope);
        for (const span of group) {
          w.tag(2, 2);
          if (span instanceof EncodedSpan) w.raw(span.buffer, span.start, span.end);
          else writeSpan(w, span);
        }
        if (scope.schemaUrl) {
          w.tag(3, 2);
          w.string(scope.schemaUrl);
        }
        w.end(scopeSpans, RESERVE_BATCH);
      }
      if (resource.schemaUrl) {
        w.tag(3, 2);
        w.string(resource.schemaUrl);
      }
      w.end(resourceSpans, RESERVE_BATCH);
    }
    return w.take();
  } finally {
    w.reset();
  }
}
