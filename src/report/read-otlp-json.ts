/**
 * One OTLP/JSON line (an `ExportTraceServiceRequest`, as the file exporter and the OpenTelemetry
 * Collector's file exporter write them) as the report's `JsonSpan`s, one callback per span so a line
 * holding a whole batch never becomes a second array of spans.
 *
 * The encoding is the OTLP/JSON one (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding):
 * lowerCamelCase keys, trace and span ids as hex strings, 64-bit integers (times, intValue) as decimal
 * strings (the Collector, protobuf's JSON mapping) or numbers (otlp-transformer writes intValue as a
 * number), enums as numbers (`kind` 0..5 with 0 unspecified, status `code` 0..2), and every field at
 * its default left out (a root span has no `parentSpanId`, an UNSET status may be `{}`).
 * https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto
 */
import type { JsonSpan } from '../sdk/json-lines-exporter';
import { nanosDifferenceMs } from './nanos';

interface OtlpAnyValue {
  stringValue?: unknown;
  boolValue?: unknown;
  intValue?: unknown;
  doubleValue?: unknown;
  bytesValue?: unknown;
  arrayValue?: { values?: unknown };
  kvlistValue?: { values?: unknown };
}
interface OtlpKeyValue {
  key?: unknown;
  value?: OtlpAnyValue;
}

/** OTLP SpanKind: 0 is SPAN_KIND_UNSPECIFIED, which the API reads as INTERNAL. */
const KINDS = ['INTERNAL', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'] as const;

function enumName<T extends string>(value: unknown, names: readonly T[], prefix: string): T | undefined {
  if (value === undefined) return names[0];
  if (typeof value === 'number') return names[value];
  if (typeof value !== 'string') return undefined;
  // Protobuf's JSON mapping also accepts the enum's name.
  const name = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return name === 'UNSPECIFIED' ? names[0] : (names.find((candidate) => candidate === name) ?? (/^\d+$/.test(value) ? names[Number(value)] : undefined));
}

function anyValue(value: OtlpAnyValue | undefined): unknown {
  if (typeof value !== 'object' || value === null) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    // int64: a number when it is safe, else its decimal string (nothing is rounded).
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : String(value.intValue);
  }
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue !== undefined)
    return Array.isArray(value.arrayValue.values) ? value.arrayValue.values.map((item) => anyValue(item as OtlpAnyValue)) : [];
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return value.bytesValue; // base64, as written
  return null;
}

function attributesOf(keyValues: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(keyValues)) return out;
  for (const keyValue of keyValues as OtlpKeyValue[]) {
    if (typeof keyValue === 'object' && keyValue !== null && typeof keyValue.key === 'string') out[keyValue.key] = anyValue(keyValue.value);
  }
  return out;
}

function hexId(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

function nanosOf(value: unknown): string | undefined {
  if (typeof value === 'string' && /^\d+$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return undefined;
}

function arrayOf(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
}

/** One OTLP span as a JsonSpan, or undefined when it lacks what the report needs (ids, kind, times). */
function toJsonSpan(span: Record<string, unknown>, resource: Record<string, unknown>, scope: { name: string; version?: string }): JsonSpan | undefined {
  const traceId = hexId(span.traceId);
  const spanId = hexId(span.spanId);
  const kind = enumName(span.kind, KINDS, 'SPAN_KIND_');
  const start = nanosOf(span.startTimeUnixNano);
  const end = nanosOf(span.endTimeUnixNano);
  if (traceId === '' || spanId === '' || kind === undefined || start === undefined || end === undefined) return undefined;
  const status = (typeof span.status === 'object' && span.status !== null ? span.status : {}) as { code?: unknown; message?: unknown };
  const parent = hexId(span.parentSpanId);
  return {
    traceId,
    spanId,
    // All-zero bytes are "no parent" too, as some writers spell it.
    parentSpanId: /^0*$/.test(parent) ? '' : parent,
    traceState: typeof span.traceState === 'string' && span.traceState !== '' ? span.traceState : undefined,
    name: typeof span.name === 'string' ? span.name : '',
    kind,
    startTimeUnixNano: start,
    endTimeUnixNano: end,
    durationMs: nanosDifferenceMs(start, end),
    attributes: attributesOf(span.attributes),
    events: arrayOf(span.events).map((event) => ({
      name: typeof event.name === 'string' ? event.name : '',
      timeUnixNano: nanosOf(event.timeUnixNano) ?? start,
      attributes: attributesOf(event.attributes),
    })),
    links: arrayOf(span.links).map((link) => ({ traceId: hexId(link.traceId), spanId: hexId(link.spanId), attributes: attributesOf(link.attributes) })),
    status: {
      code: enumName(status.code, STATUS_CODES, 'STATUS_CODE_') ?? 'UNSET',
      message: typeof status.message === 'string' && status.message !== '' ? status.message : undefined,
    },
    resource,
    scope,
  };
}

/**
 * Calls `onSpan` for each readable span of an already parsed ExportTraceServiceRequest. Returns how
 * many spans could not be read (missing ids, kind or times): the others are still emitted.
 */
export function forEachOtlpSpan(request: { resourceSpans: unknown }, onSpan: (span: JsonSpan) => void): number {
  let unreadable = 0;
  for (const resourceSpans of arrayOf(request.resourceSpans)) {
    const resourceValue = resourceSpans.resource as { attributes?: unknown } | undefined;
    const resource = attributesOf(typeof resourceValue === 'object' && resourceValue !== null ? resourceValue.attributes : undefined);
    for (const scopeSpans of arrayOf(resourceSpans.scopeSpans)) {
      const scopeValue = (typeof scopeSpans.scope === 'object' && scopeSpans.scope !== null ? scopeSpans.scope : {}) as { name?: unknown; version?: unknown };
      const scope = {
        name: typeof scopeValue.name === 'string' ? scopeValue.name : '',
        version: typeof scopeValue.version === 'string' && scopeValue.version !== '' ? scopeValue.version : undefined,
      };
      for (const span of arrayOf(scopeSpans.spans)) {
        // Each span gets its own copy: the report may keep one span and normalise it.
        const jsonSpan = toJsonSpan(span, { ...resource }, { ...scope });
        if (jsonSpan === undefined) unreadable++;
        else onSpan(jsonSpan);
      }
    }
  }
  return unreadable;
}
