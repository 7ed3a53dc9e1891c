/**
 * Streams span files line by line: plain JSON lines or gzip (recognised by its magic bytes 1f 8b,
 * since rotated files are not always named .gz). Nothing holds a whole file.
 *
 * Two line formats, told apart per line, so a file the agent appended to across an upgrade reads whole:
 *  - OTLP/JSON: an object with `resourceSpans`, one ExportTraceServiceRequest per line (one batch, many
 *    spans), what the file exporter writes since issue 12 and what the OpenTelemetry Collector's file
 *    exporter writes (read by read-otlp-json.ts);
 *  - the per-span line the file exporter wrote before (an object with `traceId`: a JsonSpan, still the
 *    console exporter's format), read for one more release.
 * Anything else is a bad line: counted, never fatal.
 */
import { closeSync, createReadStream, openSync, readSync } from 'fs';
import { StringDecoder } from 'string_decoder';
import { createGunzip } from 'zlib';
import type { Readable } from 'stream';
import type { JsonSpan } from '../sdk/json-lines-exporter';
import { forEachOtlpSpan } from './read-otlp-json';
import { errorMessage } from '../error-message';

export function isGzipFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const magic = Buffer.alloc(2);
    return readSync(fd, magic, 0, 2, 0) === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

export interface LineReadResult {
  /** The stream failed part way (a truncated gzip member, a read error): lines up to there were read. */
  failure?: string;
}

/**
 * Calls `onLine` for every non-empty line. A callback rather than an async iterator: at a
 * million lines the per-line promise of an iterator is the slowest part of the read.
 */
export async function forEachLine(file: string, onLine: (line: string) => void): Promise<LineReadResult> {
  // 64 KiB reads: as fast as 1 MiB ones here, and each chunk's string and line slices die young.
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  const stream: Readable = isGzipFile(file) ? raw.pipe(createGunzip()) : raw;
  // A gunzip error does not reach the file stream; close it ourselves.
  stream.on('error', () => raw.destroy());
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const emit = (text: string) => {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const line = text.slice(start, newline);
      start = newline + 1;
      if (line.length > 0 && line !== '\r') onLine(line);
    }
    pending = text.slice(start);
  };
  let failure: string | undefined;
  try {
    for await (const chunk of stream) emit(pending + decoder.write(chunk as Buffer));
  } catch (error) {
    failure = errorMessage(error);
  }
  const rest = pending + decoder.end();
  if (rest.trim().length > 0) onLine(rest);
  return failure === undefined ? {} : { failure };
}

const SPAN_KINDS = new Set(['SERVER', 'CLIENT', 'INTERNAL', 'PRODUCER', 'CONSUMER']);

/** The per-span line's span, or undefined when the line is not a whole span (corrupt, truncated, other JSON). */
export function parseSpanLine(line: string): JsonSpan | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return typeof value === 'object' && value !== null ? toSpan(value) : undefined;
}

function toSpan(value: object): JsonSpan | undefined {
  const span = value as Partial<JsonSpan>;
  if (
    typeof span.traceId !== 'string' ||
    span.traceId.length === 0 ||
    typeof span.spanId !== 'string' ||
    span.spanId.length === 0 ||
    typeof span.name !== 'string' ||
    typeof span.kind !== 'string' ||
    !SPAN_KINDS.has(span.kind) ||
    typeof span.startTimeUnixNano !== 'string' ||
    typeof span.endTimeUnixNano !== 'string' ||
    typeof span.durationMs !== 'number' ||
    !Number.isFinite(span.durationMs)
  ) {
    return undefined;
  }
  // Optional parts are normalised so the rest of the report never checks them again.
  if (typeof span.parentSpanId !== 'string') span.parentSpanId = '';
  if (typeof span.attributes !== 'object' || span.attributes === null) span.attributes = {};
  if (!Array.isArray(span.events)) span.events = [];
  if (typeof span.resource !== 'object' || span.resource === null) span.resource = {};
  if (typeof span.status !== 'object' || span.status === null || typeof span.status.code !== 'string') span.status = { code: 'UNSET' };
  return span as JsonSpan;
}

/**
 * Calls `onSpan` for each span on the line, whichever of the two formats it is in. Returns false for
 * a bad line: not JSON, neither format, or an OTLP line with a span that cannot be read (its other
 * spans are still emitted).
 */
export function forEachSpanOfLine(line: string, onSpan: (span: JsonSpan) => void): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null) return false;
  if ('resourceSpans' in value) return Array.isArray(value.resourceSpans) && forEachOtlpSpan(value, onSpan) === 0;
  const span = toSpan(value);
  if (span === undefined) return false;
  onSpan(span);
  return true;
}

const TRACE_ID_PREFIX = '{"traceId":"';
const TRACE_ID_ANYWHERE = /"traceId"\s*:\s*"([^"]*)"/;
const EVERY_TRACE_ID = /"traceId"\s*:\s*"([^"]*)"/g;

/**
 * Whether the line is a per-span line as the exporter wrote it (traceId first), without parsing it.
 * Only such lines can be skipped on `"parentSpanId":""` alone (build-report.ts ROOT_MARKER).
 */
export function isExporterSpanLine(line: string): boolean {
  return line.startsWith(TRACE_ID_PREFIX);
}

/**
 * The trace id of a per-span line without parsing it: the re-reads only parse the few traces they keep.
 * The exporter always writes traceId first; other writers fall back to a search.
 */
export function peekTraceId(line: string): string | undefined {
  if (line.startsWith(TRACE_ID_PREFIX)) {
    const end = line.indexOf('"', TRACE_ID_PREFIX.length);
    if (end !== -1) return line.slice(TRACE_ID_PREFIX.length, end);
  }
  return TRACE_ID_ANYWHERE.exec(line)?.[1];
}

/**
 * Whether some `"traceId":"..."` on the line is `wanted`, without parsing it: a per-span line has one,
 * an OTLP line one per span (and per link). A yes may be a link's or an attribute's: the caller parses
 * the line and checks each span's own traceId; a no is certain.
 */
export function lineMentionsTrace(line: string, wanted: (traceId: string) => boolean): boolean {
  if (line.startsWith(TRACE_ID_PREFIX)) {
    const end = line.indexOf('"', TRACE_ID_PREFIX.length);
    // The span's own id comes first; any later one is a link's.
    if (end !== -1) return wanted(line.slice(TRACE_ID_PREFIX.length, end));
  }
  EVERY_TRACE_ID.lastIndex = 0;
  for (let match = EVERY_TRACE_ID.exec(line); match !== null; match = EVERY_TRACE_ID.exec(line)) {
    if (wanted(match[1].toLowerCase())) return true;
  }
  return false;
}

const EVERY_END_TIME = /"endTimeUnixNano"\s*:\s*"?(\d+)/g;

/** The newest span end (ms since the epoch) on a line without parsing it, for the --since pre-scan. */
export function peekEndTimeMs(line: string): number | undefined {
  let newest: number | undefined;
  EVERY_END_TIME.lastIndex = 0;
  for (let match = EVERY_END_TIME.exec(line); match !== null; match = EVERY_END_TIME.exec(line)) {
    const endMs = nanosToMs(match[1]);
    if (newest === undefined || endMs > newest) newest = endMs;
  }
  return newest;
}

/** Decimal Unix nanoseconds to ms; a double keeps sub-microsecond precision for today's dates. */
export function nanosToMs(nanos: string): number {
  return Number(nanos) / 1e6;
}

/** Compares decimal nanosecond strings exactly (no precision lost to doubles). */
export function compareNanos(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
