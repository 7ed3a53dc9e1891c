/**
 * The hand-off format between the main thread and the export worker: ended spans written into one
 * ArrayBuffer per batch, posted as a transferable (`postMessage(msg, [buffer])`: moved, not copied),
 * and read back in the worker as the SpanRecords the rest of the worker uses (masking, views,
 * exporters, file formats all unchanged).
 *
 * Why: posting SpanRecord objects made V8 structured-clone every span, its attribute objects, arrays
 * and strings, twice (serialize on the main thread, deserialize in the worker): ~5% of the main
 * thread's CPU under load (bench/profile.js, Node 24), plus the worker's share. Here the main thread
 * writes flat bytes: ids as 16/8 bytes, times and counts as varints or float64, and every string once
 * per batch (a string table: attribute keys, methods, routes, user agents, scope names repeat on every
 * span), Latin-1 when it fits, else UTF-16 code units (lone surrogates survive; UTF-8 would not).
 *
 * Exactness: every value of a SpanRecord survives as it was (test/unit/sdk/span-codec.test.ts): -0,
 * NaN, Infinity, integers beyond 2^53, undefined and null in arrays, nested arrays, mixed arrays, an
 * optional field that is absent vs present-but-undefined. Values outside the attribute types (objects,
 * Uint8Array, bigint, set through unchecked casts) go in a side list, structured-cloned with the
 * message as before; functions and symbols, which structured clone refused (losing the batch), arrive
 * as undefined.
 */
import { TraceFlags } from '@opentelemetry/api';
import type { Attributes, HrTime, SpanStatus } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanContextRecord, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../span-record';
import { copyCharsUpTo } from './copy-chars';

/** One batch as posted to the worker; `buffer` is transferred. */
export interface EncodedSpanBatch {
  buffer: ArrayBuffer;
  byteLength: number;
  spanCount: number;
  /** Values the format does not write itself (see above), referenced by index. */
  extras: unknown[];
}

const enum Tag {
  Absent = 0,
  Undefined = 1,
  Null = 2,
  False = 3,
  True = 4,
  /** A non-negative integer below 2^31 (not -0), as a varint. */
  Uint = 5,
  Float64 = 6,
  /** A string not seen before in this batch: added to the string table. */
  NewLatin1 = 7,
  NewUtf16 = 8,
  /** A string of the table, by index. */
  StringRef = 9,
  /** A long string written in place, not added to the table. */
  Latin1 = 10,
  Utf16 = 11,
  Array = 12,
  /** An object of attributes: count, then key and value pairs. */
  Attributes = 13,
  /** A lowercase hex id, as its bytes. */
  HexId = 14,
  /** A value of `extras`, by index. */
  Extra = 15,
  /** A scope not seen before in this batch (name, version, schemaUrl); then a ScopeRef. */
  NewScope = 16,
  ScopeRef = 17,
}

/** Strings longer than this are written where they occur (stack traces, SQL): rarely repeated, not worth a table entry. */
const MAX_TABLE_STRING_LENGTH = 256;
/** Shorter strings are written by a JS loop; longer ones by Buffer's native writers. */
const NATIVE_STRING_MIN_LENGTH = 32;
const INITIAL_BATCH_BYTES = 16 * 1024;

type Scope = ReadableSpan['instrumentationScope'];

/** Char code -> its value as a lowercase hex digit, -1 for any other code below 256. */
const LOWER_HEX_VALUE = new Int8Array(256).fill(-1);
for (let c = 48; c <= 57; c++) LOWER_HEX_VALUE[c] = c - 48;
for (let c = 97; c <= 102; c++) LOWER_HEX_VALUE[c] = c - 87;

/** The value of a lowercase hex digit, or -1 (one table read: ids are the codec's most frequent strings). */
function lowerHexValue(charCode: number): number {
  return charCode < 256 ? LOWER_HEX_VALUE[charCode] : -1;
}

/**
 * Main thread: appends ended spans to the current batch. On an exception in the middle of a span
 * (a throwing getter on a hostile attribute object) the batch is rolled back to before that span.
 */
export class SpanBatchEncoder {
  // Buffers over ArrayBuffers of their own (never Buffer's shared pool): the whole ArrayBuffer is transferred.
  private _buf: Buffer = Buffer.from(new ArrayBuffer(INITIAL_BATCH_BYTES));
  private _pos = 0;
  private _strings = new Map<string, number>();
  private _stringList: string[] = [];
  private _scopes = new Map<Scope, number>();
  private _scopeList: Scope[] = [];
  /**
   * By a key's index in the string table: the string value that key had last in this batch, and that
   * value's index. Most string attributes repeat from span to span (addresses, the method, the user
   * agent, the route) but arrive as fresh strings: comparing with the last one skips hashing each into
   * the table's Map (perf: the Map lookups were ~1.5 us per span). Writes the same bytes as the Map.
   */
  private _lastValueOfKey: (string | undefined)[] = [];
  private _lastValueIndexOfKey: number[] = [];
  private _extras: unknown[] = [];
  private _count = 0;
  /** The size of the last batch: the next one starts that big, so it rarely grows. */
  private _sizeHint = INITIAL_BATCH_BYTES;

  get spanCount(): number {
    return this._count;
  }

  /**
   * Appends `span`. `keptBy` (keep-by-outcome.ts) adds the kept-by attribute `keptByKey` and the
   * sampled flag, as the exported copy of a span head sampling did not take.
   */
  add(span: ReadableSpan, keptByKey?: string, keptBy?: string): void {
    const start = this._pos;
    const strings = this._stringList.length;
    const scopes = this._scopeList.length;
    const extras = this._extras.length;
    try {
      this._writeSpan(span, keptByKey, keptBy);
      this._count++;
    } catch (err) {
      this._pos = start;
      for (const s of this._stringList.splice(strings)) this._strings.delete(s);
      for (const s of this._scopeList.splice(scopes)) this._scopes.delete(s);
      // They may name table entries just removed (rare: forget them all).
      this._lastValueOfKey = [];
      this._lastValueIndexOfKey = [];
      this._extras.length = extras;
      throw err;
    }
  }

  /** The batch so far, ready to post (its buffer to transfer), or undefined when empty; starts a new one. */
  take(): EncodedSpanBatch | undefined {
    if (this._count === 0) return undefined;
    const batch: EncodedSpanBatch = { buffer: this._buf.buffer as ArrayBuffer, byteLength: this._pos, spanCount: this._count, extras: this._extras };
    this._sizeHint = Math.max(INITIAL_BATCH_BYTES, this._pos + (this._pos >> 2));
    this._buf = Buffer.from(new ArrayBuffer(this._sizeHint));
    this._pos = 0;
    this._strings = new Map();
    this._stringList = [];
    this._scopes = new Map();
    this._scopeList = [];
    this._lastValueOfKey = [];
    this._lastValueIndexOfKey = [];
    this._extras = [];
    this._count = 0;
    return batch;
  }

  private _ensure(bytes: number): void {
    const needed = this._pos + bytes;
    if (needed <= this._buf.length) return;
    let size = this._buf.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.from(new ArrayBuffer(size));
    this._buf.copy(grown, 0, 0, this._pos);
    this._buf = grown;
  }

  private _byte(value: number): void {
    this._ensure(1);
    this._buf[this._pos++] = value;
  }

  private _varint(value: number): void {
    this._ensure(5);
    const buf = this._buf;
    while (value > 0x7f) {
      buf[this._pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[this._pos++] = value;
  }

  private _writeSpan(span: ReadableSpan, keptByKey: string | undefined, keptBy: string | undefined): void {
    const context = span.spanContext();
    this._context(
      context.traceId,
      context.spanId,
      keptBy !== undefined ? context.traceFlags | TraceFlags.SAMPLED : context.traceFlags,
      context.traceState?.serialize() || undefined,
    );
    this._id(span.parentSpanContext?.spanId);
    this._value(span.name);
    this._value(span.kind);
    this._hrTime(span.startTime);
    this._hrTime(span.endTime);
    this._hrTime(span.duration);
    this._attributes(span.attributes, keptByKey, keptBy);
    const events = span.events;
    this._varint(events.length);
    for (const event of events) {
      this._value(event.name);
      this._hrTime(event.time);
      this._optionalAttributes(event.attributes);
      this._value(event.droppedAttributesCount);
    }
    const links = span.links;
    this._varint(links.length);
    for (const link of links) {
      this._context(link.context.traceId, link.context.spanId, link.context.traceFlags, link.context.traceState?.serialize() || undefined);
      this._optionalAttributes(link.attributes);
      this._value(link.droppedAttributesCount);
    }
    this._status(span.status);
    this._scope(span.instrumentationScope);
    this._value(span.droppedAttributesCount);
    this._value(span.droppedEventsCount);
    this._value(span.droppedLinksCount);
  }

  private _context(traceId: string, spanId: string, traceFlags: number, traceState: string | undefined): void {
    this._id(traceId);
    this._id(spanId);
    this._value(traceFlags);
    this._value(traceState);
  }

  /** A 32- or 16-char lowercase hex id as its bytes; anything else (absent, uppercase, odd) as the value it is. */
  private _id(id: string | undefined): void {
    const chars = typeof id === 'string' ? id.length : 0;
    if (chars !== 32 && chars !== 16) {
      this._value(id);
      return;
    }
    const length = chars >> 1;
    this._ensure(2 + length);
    const buf = this._buf;
    const at = this._pos + 2;
    // Validated while converted: a bad digit leaves `_pos` as it was (the bytes past it are scratch).
    for (let i = 0; i < length; i++) {
      const high = lowerHexValue(id!.charCodeAt(2 * i));
      const low = lowerHexValue(id!.charCodeAt(2 * i + 1));
      if ((high | low) < 0) {
        this._value(id);
        return;
      }
      buf[at + i] = (high << 4) | low;
    }
    buf[at - 2] = Tag.HexId;
    buf[at - 1] = length;
    this._pos = at + length;
  }

  private _hrTime(time: HrTime): void {
    // Almost always [seconds, nanoseconds] of non-negative integers: two varints, no array tag.
    if (Array.isArray(time) && time.length === 2 && isSmallUint(time[0]) && isSmallUint(time[1])) {
      this._byte(Tag.Array);
      this._byte(2);
      this._byte(Tag.Uint);
      this._varint(time[0]);
      this._byte(Tag.Uint);
      this._varint(time[1]);
      return;
    }
    this._value(time);
  }

  private _status(status: SpanStatus): void {
    this._value(status.code);
    if ('message' in status) this._value(status.message);
    else this._byte(Tag.Absent);
  }

  private _scope(scope: Scope): void {
    let index = this._scopes.get(scope);
    if (index === undefined) {
      index = this._scopeList.length;
      this._scopes.set(scope, index);
      this._scopeList.push(scope);
      this._byte(Tag.NewScope);
      this._value(scope.name);
      this._value(scope.version);
      this._value(scope.schemaUrl);
    }
    this._byte(Tag.ScopeRef);
    this._varint(index);
  }

  private _optionalAttributes(attributes: Attributes | undefined): void {
    if (attributes === undefined) this._byte(Tag.Undefined);
    else this._attributes(attributes, undefined, undefined);
  }

  private _attributes(attributes: Attributes, extraKey: string | undefined, extraValue: string | undefined): void {
    if (attributes === null || typeof attributes !== 'object') {
      this._value(attributes);
      return;
    }
    const keys = Object.keys(attributes);
    const extraWritten = extraKey === undefined || keys.includes(extraKey);
    this._byte(Tag.Attributes);
    this._varint(keys.length + (extraWritten ? 0 : 1));
    for (const key of keys) {
      const keyIndex = this._string(key);
      // As `{ ...attributes, [extraKey]: extraValue }`: an existing key keeps its place, takes the value.
      const value = key === extraKey ? extraValue : attributes[key];
      if (typeof value === 'string' && keyIndex >= 0) this._stringOfKey(keyIndex, value);
      else this._value(value);
    }
    if (!extraWritten) {
      this._string(extraKey);
      this._value(extraValue);
    }
  }

  private _value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this._string(value);
        return;
      case 'number':
        if (isSmallUint(value)) {
          this._ensure(6);
          this._buf[this._pos++] = Tag.Uint;
          this._varint(value);
        } else {
          this._ensure(9);
          this._buf[this._pos++] = Tag.Float64;
          this._buf.writeDoubleLE(value, this._pos);
          this._pos += 8;
        }
        return;
      case 'boolean':
        this._byte(value ? Tag.True : Tag.False);
        return;
      case 'undefined':
        this._byte(Tag.Undefined);
        return;
      case 'function':
      case 'symbol':
        this._byte(Tag.Undefined); // structured clone cannot carry them
        return;
      default:
        if (value === null) {
          this._byte(Tag.Null);
        } else if (Array.isArray(value)) {
          this._byte(Tag.Array);
          this._varint(value.length);
          for (let i = 0; i < value.length; i++) this._value(value[i]);
        } else {
          this._byte(Tag.Extra);
          this._varint(this._extras.length);
          this._extras.push(value);
        }
    }
  }

  /** The string value of the key at `keyIndex` in the table (see _lastValueOfKey). */
  private _stringOfKey(keyIndex: number, value: string): void {
    if (this._lastValueOfKey[keyIndex] === value) {
      this._stringRef(this._lastValueIndexOfKey[keyIndex]);
      return;
    }
    const index = this._string(value);
    if (index < 0) return;
    this._lastValueOfKey[keyIndex] = value;
    this._lastValueIndexOfKey[keyIndex] = index;
  }

  private _stringRef(index: number): void {
    this._ensure(6);
    this._buf[this._pos++] = Tag.StringRef;
    this._varint(index);
  }

  /** Writes `value`; returns its index in the string table, or -1 for a long one written in place. */
  private _string(value: string): number {
    const length = value.length;
    const tabled = length <= MAX_TABLE_STRING_LENGTH;
    let index = -1;
    if (tabled) {
      const known = this._strings.get(value);
      if (known !== undefined) {
        this._stringRef(known);
        return known;
      }
      index = this._stringList.length;
      this._strings.set(value, index);
      this._stringList.push(value);
    }
    this._ensure(6 + 2 * length);
    const buf = this._buf;
    const tagAt = this._pos++;
    this._varint(length);
    if (length < NATIVE_STRING_MIN_LENGTH) {
      if (copyCharsUpTo(value, buf, this._pos, 0xff) === length) {
        buf[tagAt] = tabled ? Tag.NewLatin1 : Tag.Latin1;
        this._pos += length;
        return index;
      }
    } else if (Buffer.byteLength(value, 'utf8') === length) {
      // ASCII (native check): Latin-1 bytes are the chars themselves.
      buf[tagAt] = tabled ? Tag.NewLatin1 : Tag.Latin1;
      this._pos += buf.write(value, this._pos, length, 'latin1');
      return index;
    }
    buf[tagAt] = tabled ? Tag.NewUtf16 : Tag.Utf16;
    this._pos += buf.write(value, this._pos, 2 * length, 'utf16le');
    return index;
  }
}

function isSmallUint(value: number): boolean {
  return (value | 0) === value && value >= 0 && !(value === 0 && 1 / value < 0);
}

/** Worker: the batch's spans as SpanRecords, in the shape toSpanRecord gave them (to-span-record.ts). */
export function decodeSpanBatch(batch: EncodedSpanBatch): SpanRecord[] {
  return new SpanBatchDecoder(batch).spans();
}

class SpanBatchDecoder {
  private readonly _buf: Buffer;
  private _pos = 0;
  private readonly _strings: string[] = [];
  private readonly _scopes: SpanRecord['scope'][] = [];

  constructor(private readonly _batch: EncodedSpanBatch) {
    this._buf = Buffer.from(_batch.buffer, 0, _batch.byteLength);
  }

  spans(): SpanRecord[] {
    const spans: SpanRecord[] = [];
    for (let i = 0; i < this._batch.spanCount; i++) spans.push(this._span());
    return spans;
  }

  private _varint(): number {
    const buf = this._buf;
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = buf[this._pos++];
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
      shift += 7;
    }
  }

  private _span(): SpanRecord {
    const context = this._context();
    const parentSpanId = this._value() as string | undefined;
    const name = this._value() as string;
    const kind = this._value() as number;
    const startTime = this._value() as HrTime;
    const endTime = this._value() as HrTime;
    const duration = this._value() as HrTime;
    const attributes = this._value() as Attributes;
    const events: SpanEventRecord[] = new Array(this._varint());
    for (let i = 0; i < events.length; i++) {
      events[i] = {
        name: this._value() as string,
        time: this._value() as HrTime,
        attributes: this._value() as Attributes | undefined,
        droppedAttributesCount: this._value() as number | undefined,
      };
    }
    const links: SpanLinkRecord[] = new Array(this._varint());
    for (let i = 0; i < links.length; i++) {
      links[i] = { context: this._context(), attributes: this._value() as Attributes | undefined, droppedAttributesCount: this._value() as number | undefined };
    }
    const status: SpanStatus = { code: this._value() as number };
    if (this._buf[this._pos] === Tag.Absent) this._pos++;
    else status.message = this._value() as string;
    const scope = this._value() as SpanRecord['scope'];
    return {
      context,
      parentSpanId,
      name,
      kind,
      startTime,
      endTime,
      duration,
      attributes,
      events,
      links,
      status,
      scope,
      droppedAttributesCount: this._value() as number,
      droppedEventsCount: this._value() as number,
      droppedLinksCount: this._value() as number,
    };
  }

  private _context(): SpanContextRecord {
    return {
      traceId: this._value() as string,
      spanId: this._value() as string,
      traceFlags: this._value() as number,
      traceState: this._value() as string | undefined,
    };
  }

  private _text(latin1: boolean, tabled: boolean): string {
    const length = this._varint();
    const bytes = latin1 ? length : 2 * length;
    const text = this._buf.toString(latin1 ? 'latin1' : 'utf16le', this._pos, this._pos + bytes);
    this._pos += bytes;
    if (tabled) this._strings.push(text);
    return text;
  }

  private _value(): unknown {
    const tag = this._buf[this._pos++];
    switch (tag) {
      case Tag.StringRef:
        return this._strings[this._varint()];
      case Tag.Uint:
        return this._varint();
      case Tag.NewLatin1:
        return this._text(true, true);
      case Tag.Undefined:
        return undefined;
      case Tag.Attributes: {
        const count = this._varint();
        const attributes: Attributes = {};
        for (let i = 0; i < count; i++) {
          const key = this._value() as string;
          attributes[key] = this._value() as Attributes[string];
        }
        return attributes;
      }
      case Tag.HexId: {
        const length = this._buf[this._pos++];
        const id = this._buf.toString('hex', this._pos, this._pos + length);
        this._pos += length;
        return id;
      }
      case Tag.Array: {
        const array: unknown[] = new Array(this._varint());
        for (let i = 0; i < array.length; i++) array[i] = this._value();
        return array;
      }
      case Tag.ScopeRef:
        return this._scopes[this._varint()];
      case Tag.NewScope:
        this._scopes.push({ name: this._value() as string, version: this._value() as string | undefined, schemaUrl: this._value() as string | undefined });
        return this._value(); // its ScopeRef
      case Tag.Float64: {
        const value = this._buf.readDoubleLE(this._pos);
        this._pos += 8;
        return value;
      }
      case Tag.True:
        return true;
      case Tag.False:
        return false;
      case Tag.Null:
        return null;
      case Tag.NewUtf16:
        return this._text(false, true);
      case Tag.Latin1:
        return this._text(true, false);
      case Tag.Utf16:
        return this._text(false, false);
      case Tag.Extra:
        return this._batch.extras[this._varint()];
      default:
        throw new Error(`span batch: unknown tag ${tag} at byte ${this._pos - 1}`);
    }
  }
}
