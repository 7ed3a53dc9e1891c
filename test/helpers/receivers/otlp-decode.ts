/**
 * Decodes OTLP ExportTraceServiceRequest payloads (protobuf via protobufjs and the .proto files under
 * ./proto, or OTLP/JSON) into ReceivedSpan[].
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type { AttrValue, ReceivedSpan, ReceiverProtocol, SpanKindName, StatusCodeName } from './types';

/** Source folder with the OTLP .proto files (works from build/test/helpers/receivers and from the .ts sources). */
export const PROTO_DIR: string = (() => {
  const candidates = [path.resolve(__dirname, '../../../../test/helpers/receivers/proto'), path.resolve(__dirname, 'proto')];
  const marker = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';
  return candidates.find((d) => fs.existsSync(path.join(d, marker))) ?? candidates[0];
})();

const REQUEST_TYPE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';
const RESPONSE_TYPE = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse';

let root: protobuf.Root | undefined;

export function otlpRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin: string, target: string) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
    r.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });
    r.resolveAll();
    root = r;
  }
  return root;
}

export function requestType(): protobuf.Type {
  return otlpRoot().lookupType(REQUEST_TYPE);
}

/** An ExportTraceServiceResponse with no partial_success: zero bytes on the wire. */
export function encodeEmptyResponse(): Buffer {
  const t = otlpRoot().lookupType(RESPONSE_TYPE);
  return Buffer.from(t.encode(t.create({})).finish());
}

// Loose wire shapes shared by protobufjs' toObject() output and OTLP/JSON.
type Bytes = Uint8Array | string;
type Long = string | number;
interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: Long;
  doubleValue?: number | string;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: Bytes;
}
interface WireKeyValue {
  key?: string;
  value?: WireAnyValue;
}
interface WireSpan {
  traceId?: Bytes;
  spanId?: Bytes;
  traceState?: string;
  parentSpanId?: Bytes;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: Long;
  endTimeUnixNano?: Long;
  attributes?: WireKeyValue[];
  events?: { timeUnixNano?: Long; name?: string; attributes?: WireKeyValue[] }[];
  links?: { traceId?: Bytes; spanId?: Bytes; attributes?: WireKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
interface WireRequest {
  resourceSpans?: {
    resource?: { attributes?: WireKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: WireSpan[] }[];
  }[];
}

/** Decodes a binary protobuf ExportTraceServiceRequest. */
export function decodeOtlpProtobuf(buf: Uint8Array, protocol: ReceiverProtocol): ReceivedSpan[] {
  const t = requestType();
  const msg = t.decode(buf);
  // longs as decimal strings (fixed64 nanos exceed 2^53); bytes stay Buffers; enums as numbers.
  const obj = t.toObject(msg, { longs: String, enums: Number, defaults: false, arrays: true }) as WireRequest;
  return normalizeRequest(obj, protocol);
}

/** Decodes OTLP/JSON (ids as hex strings, 64-bit integers as strings or numbers, enums as numbers or names). */
export function decodeOtlpJson(text: string, protocol: ReceiverProtocol): ReceivedSpan[] {
  const obj = snakeToCamelKeys(JSON.parse(text)) as WireRequest;
  if (!obj || typeof obj !== 'object') throw new Error('OTLP/JSON body is not an object');
  return normalizeRequest(obj, protocol);
}

function normalizeRequest(req: WireRequest, protocol: ReceiverProtocol): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: idHex(s.traceId, 16, 'traceId'),
          spanId: idHex(s.spanId, 8, 'spanId'),
          parentSpanId: parentHex(s.parentSpanId),
          traceState: s.traceState ?? '',
          name: s.name ?? '',
          kind: spanKind(s.kind),
          startTimeUnixNano: nanos(s.startTimeUnixNano),
          endTimeUnixNano: nanos(s.endTimeUnixNano),
          attributes: attrs(s.attributes),
          events: (s.events ?? []).map((e) => ({
            name: e.name ?? '',
            timeUnixNano: nanos(e.timeUnixNano),
            attributes: attrs(e.attributes),
          })),
          links: (s.links ?? []).map((l) => ({
            traceId: idHex(l.traceId, 16, 'link.traceId'),
            spanId: idHex(l.spanId, 8, 'link.spanId'),
            attributes: attrs(l.attributes),
          })),
          status: { code: statusCode(s.status?.code), message: s.status?.message ?? '' },
          resource: { ...resource },
          scope: { ...scope },
          protocol,
        });
      }
    }
  }
  return out;
}

export function attrs(kvs: WireKeyValue[] | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const kv of kvs ?? []) out[kv.key ?? ''] = anyValue(kv.value);
  return out;
}

export function anyValue(v: WireAnyValue | undefined | null): AttrValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return int64Value(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.kvlistValue !== undefined) return attrs(v.kvlistValue.values);
  if (v.bytesValue !== undefined) {
    return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue).toString('base64');
  }
  return null;
}

/** int64 as a number when it is a safe integer, otherwise its decimal string. */
export function int64Value(v: Long | bigint): number | string {
  const b = BigInt(v);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b.toString();
}

function nanos(v: Long | undefined): bigint {
  return v === undefined || v === '' ? 0n : BigInt(v);
}

function idHex(v: Bytes | undefined, bytes: number, what: string): string {
  if (v === undefined) return '';
  if (typeof v !== 'string') return Buffer.from(v).toString('hex');
  if (v.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(v)) return v.toLowerCase();
  if (v === '') return '';
  const b = Buffer.from(v, 'base64'); // tolerate protobuf-JSON-mapping style base64 ids
  if (b.length !== bytes) throw new Error(`OTLP ${what} ${JSON.stringify(v)} is neither ${bytes * 2}-digit hex nor base64 of ${bytes} bytes`);
  return b.toString('hex');
}

function parentHex(v: Bytes | undefined): string {
  const hex = idHex(v, 8, 'parentSpanId');
  return /^0*$/.test(hex) ? '' : hex;
}

const KINDS: SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
function spanKind(k: number | string | undefined): SpanKindName {
  if (k === undefined) return 'UNSPECIFIED';
  if (typeof k === 'number') return KINDS[k] ?? 'UNSPECIFIED';
  const name = k.replace(/^SPAN_KIND_/, '') as SpanKindName;
  return KINDS.includes(name) ? name : /^\d+$/.test(k) ? (KINDS[Number(k)] ?? 'UNSPECIFIED') : 'UNSPECIFIED';
}

const CODES: StatusCodeName[] = ['UNSET', 'OK', 'ERROR'];
function statusCode(c: number | string | undefined): StatusCodeName {
  if (c === undefined) return 'UNSET';
  if (typeof c === 'number') return CODES[c] ?? 'UNSET';
  const name = c.replace(/^STATUS_CODE_/, '') as StatusCodeName;
  return CODES.includes(name) ? name : /^\d+$/.test(c) ? (CODES[Number(c)] ?? 'UNSET') : 'UNSET';
}

/** OTLP/JSON receivers must accept lowerCamelCase and may see snake_case (proto field names). */
function snakeToCamelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(snakeToCamelKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(v)) out[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = snakeToCamelKeys(val);
    return out;
  }
  return v;
}
