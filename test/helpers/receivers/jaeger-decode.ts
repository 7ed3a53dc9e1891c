/**
 * Decodes Jaeger thrift (binary protocol) as sent by @opentelemetry/exporter-jaeger through jaeger-client's
 * UDPSender (Agent.emitBatch oneway message) and HTTPSender (bare Batch struct), using the .thrift IDL that
 * jaeger-client ships and thriftrw. Inverts exporter-jaeger's build/src/transform.js.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { int64Value } from './otlp-decode';
import type { AttrValue, ReceivedSpan, ReceiverProtocol, SpanKindName, StatusCodeName } from './types';

// thriftrw ships no typings; only the parts used here are declared.
interface ThriftReadResult<T> {
  err: Error | null;
  value: T;
  offset: number;
}
interface ThriftRW<T> {
  readFrom(buffer: Buffer, offset: number): ThriftReadResult<T>;
}
interface ThriftInstance {
  Agent: { emitBatch: { argumentsMessageRW: ThriftRW<ThriftMessage> } };
  Batch: { rw: ThriftRW<ThriftBatch> };
}
type ThriftCtor = new (opts: { entryPoint?: string; source?: string; allowOptionalArguments?: boolean; allowFilesystemAccess?: boolean }) => ThriftInstance;
const { Thrift } = require('thriftrw') as { Thrift: ThriftCtor };

type I64 = Buffer | number | bigint | { high: number; low: number } | null | undefined;
interface ThriftTag {
  key: string;
  vType: string | number;
  vStr?: string | null;
  vDouble?: number | null;
  vBool?: boolean | null;
  vLong?: I64;
  vBinary?: Buffer | null;
}
interface ThriftSpan {
  traceIdLow: I64;
  traceIdHigh: I64;
  spanId: I64;
  parentSpanId: I64;
  operationName: string;
  references?: { refType: string | number; traceIdLow: I64; traceIdHigh: I64; spanId: I64 }[] | null;
  flags: number;
  startTime: I64;
  duration: I64;
  tags?: ThriftTag[] | null;
  logs?: { timestamp: I64; fields: ThriftTag[] }[] | null;
}
export interface ThriftBatch {
  process: { serviceName: string; tags?: ThriftTag[] | null };
  spans: ThriftSpan[];
}
interface ThriftMessage {
  name: string;
  type: string | number;
  id: number;
  body: { batch: ThriftBatch };
}

/** jaeger-client's folder, resolved the way @opentelemetry/exporter-jaeger resolves it. */
function jaegerClientDir(): string {
  const paths = [path.dirname(require.resolve('@opentelemetry/exporter-jaeger'))];
  return path.dirname(require.resolve('jaeger-client/package.json', { paths }));
}

let agentThrift: ThriftInstance | undefined;
let jaegerThrift: ThriftInstance | undefined;

function agent(): ThriftInstance {
  // jaeger-client's thriftrw-friendly copy of agent.thrift (includes ../jaeger-idl/thrift/jaeger.thrift).
  agentThrift ??= new Thrift({
    entryPoint: path.join(jaegerClientDir(), 'dist/src/thriftrw-idl/agent.thrift'),
    allowOptionalArguments: true,
    allowFilesystemAccess: true,
  });
  return agentThrift;
}

function jaeger(): ThriftInstance {
  jaegerThrift ??= new Thrift({
    source: fs.readFileSync(path.join(jaegerClientDir(), 'dist/src/jaeger-idl/thrift/jaeger.thrift'), 'ascii'),
    allowOptionalArguments: true,
  });
  return jaegerThrift;
}

/** A UDP packet: thrift binary message envelope for the oneway call Agent.emitBatch(1: Batch batch). */
export function decodeJaegerAgentPacket(buf: Buffer, protocol: ReceiverProtocol = 'jaeger-udp'): ReceivedSpan[] {
  const r = agent().Agent.emitBatch.argumentsMessageRW.readFrom(buf, 0);
  if (r.err) throw new Error(`jaeger: cannot decode Agent.emitBatch message: ${r.err.message}`);
  if (r.value.name !== 'emitBatch') throw new Error(`jaeger: unexpected thrift method ${JSON.stringify(r.value.name)}`);
  return normalizeBatch(r.value.body.batch, protocol);
}

/** An HTTP body for POST /api/traces: a bare thrift binary Batch struct. */
export function decodeJaegerBatch(buf: Buffer, protocol: ReceiverProtocol = 'jaeger-http'): ReceivedSpan[] {
  const r = jaeger().Batch.rw.readFrom(buf, 0);
  if (r.err) throw new Error(`jaeger: cannot decode thrift Batch: ${r.err.message}`);
  return normalizeBatch(r.value, protocol);
}

function i64(v: I64): bigint {
  if (v === null || v === undefined) return 0n;
  if (Buffer.isBuffer(v)) return v.length === 8 ? v.readBigInt64BE(0) : 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  return BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0));
}

/** Signed 64-bit -> 16 lower-case hex digits (two's complement). */
function hex64(v: I64): string {
  return BigInt.asUintN(64, i64(v)).toString(16).padStart(16, '0');
}

const TAG_TYPES = ['STRING', 'DOUBLE', 'BOOL', 'LONG', 'BINARY'];
function tagValue(t: ThriftTag): AttrValue {
  const type = typeof t.vType === 'number' ? TAG_TYPES[t.vType] : t.vType;
  switch (type) {
    case 'STRING':
      return t.vStr ?? '';
    case 'DOUBLE':
      return t.vDouble ?? 0;
    case 'BOOL':
      return t.vBool ?? false;
    case 'LONG':
      return int64Value(i64(t.vLong));
    case 'BINARY':
      return (t.vBinary ?? Buffer.alloc(0)).toString('base64');
    default:
      return t.vStr ?? null;
  }
}

function tagsToAttrs(tags: ThriftTag[] | null | undefined): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const t of tags ?? []) out[t.key] = tagValue(t);
  return out;
}

const KIND_BY_TAG: Record<string, SpanKindName> = {
  server: 'SERVER',
  client: 'CLIENT',
  producer: 'PRODUCER',
  consumer: 'CONSUMER',
  internal: 'INTERNAL',
};

function normalizeBatch(batch: ThriftBatch, protocol: ReceiverProtocol): ReceivedSpan[] {
  const resource: Record<string, AttrValue> = {
    'service.name': batch.process.serviceName,
    ...tagsToAttrs(batch.process.tags),
  };
  return (batch.spans ?? []).map((s) => normalizeSpan(s, resource, protocol));
}

function normalizeSpan(s: ThriftSpan, resource: Record<string, AttrValue>, protocol: ReceiverProtocol): ReceivedSpan {
  const traceId = hex64(s.traceIdHigh) + hex64(s.traceIdLow);
  let parentSpanId = i64(s.parentSpanId) === 0n ? '' : hex64(s.parentSpanId);
  const attributes = tagsToAttrs(s.tags);
  const take = (key: string): AttrValue | undefined => {
    if (!(key in attributes)) return undefined;
    const v = attributes[key];
    delete attributes[key];
    return v;
  };

  // span.kind is only set for non-INTERNAL kinds.
  const kindTag = take('span.kind');
  const kind: SpanKindName = typeof kindTag === 'string' ? (KIND_BY_TAG[kindTag.toLowerCase()] ?? 'UNSPECIFIED') : 'INTERNAL';

  const codeTag = take('otel.status_code');
  const descTag = take('otel.status_description');
  const errorTag = typeof attributes.error === 'boolean' ? take('error') : undefined;
  let code: StatusCodeName = 'UNSET';
  if (codeTag === 'OK' || codeTag === 'ERROR' || codeTag === 'UNSET') code = codeTag;
  else if (errorTag === true) code = 'ERROR';

  const scopeName = take('otel.scope.name') ?? take('otel.library.name');
  const scopeVersion = take('otel.scope.version') ?? take('otel.library.version');
  take('otel.scope.name');
  take('otel.library.name');
  take('otel.scope.version');
  take('otel.library.version');

  const links: ReceivedSpan['links'] = [];
  for (const ref of s.references ?? []) {
    const refTrace = hex64(ref.traceIdHigh) + hex64(ref.traceIdLow);
    const refSpan = hex64(ref.spanId);
    const isChildOf = ref.refType === 'CHILD_OF' || ref.refType === 0;
    if (isChildOf && !parentSpanId && refTrace === traceId) {
      parentSpanId = refSpan; // Jaeger may carry the parent only as a CHILD_OF reference
      continue;
    }
    if (isChildOf && refSpan === parentSpanId && refTrace === traceId) continue;
    links.push({ traceId: refTrace, spanId: refSpan, attributes: {} });
  }

  const startUs = i64(s.startTime);
  return {
    traceId,
    spanId: hex64(s.spanId),
    parentSpanId,
    traceState: '',
    name: s.operationName,
    kind,
    startTimeUnixNano: startUs * 1000n,
    endTimeUnixNano: (startUs + i64(s.duration)) * 1000n,
    attributes,
    events: (s.logs ?? []).map((log) => {
      const fields = tagsToAttrs(log.fields);
      const name = fields.event;
      delete fields.event;
      return { name: typeof name === 'string' ? name : '', timeUnixNano: i64(log.timestamp) * 1000n, attributes: fields };
    }),
    links,
    status: { code, message: typeof descTag === 'string' ? descTag : '' },
    resource: { ...resource },
    scope: {
      name: typeof scopeName === 'string' ? scopeName : '',
      version: typeof scopeVersion === 'string' ? scopeVersion : '',
    },
    protocol,
  };
}
