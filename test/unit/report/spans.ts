/** Builders for JsonSpan lines as the file exporter writes them, for the report's unit tests. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import type { JsonSpan } from '../../../src/sdk/json-lines-exporter';

const BASE_NANOS = 1_760_000_000_000_000_000n;

export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  service: string;
  name?: string;
  kind?: JsonSpan['kind'];
  route?: string;
  /** ms after a fixed base time */
  startMs?: number;
  durationMs?: number;
  error?: boolean;
  statusMessage?: string;
  statusCode?: number;
  exception?: { type: string; message: string; atMs?: number };
  attributes?: Record<string, unknown>;
}

export function traceIdOf(n: number): string {
  return n.toString(16).padStart(32, '0');
}

export function spanIdOf(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function makeSpan(spec: SpanSpec): JsonSpan {
  const startMs = spec.startMs ?? 0;
  const durationMs = spec.durationMs ?? 1;
  const nanos = (ms: number) => String(BASE_NANOS + BigInt(Math.round(ms * 1e6)));
  const attributes: Record<string, unknown> = { ...spec.attributes };
  if (spec.route !== undefined) attributes['http.route'] = spec.route;
  if (spec.statusCode !== undefined) attributes['http.response.status_code'] = spec.statusCode;
  return {
    traceId: spec.traceId,
    spanId: spec.spanId,
    parentSpanId: spec.parentSpanId ?? '',
    name: spec.name ?? (spec.route === undefined ? 'work' : `GET ${spec.route}`),
    kind: spec.kind ?? 'INTERNAL',
    startTimeUnixNano: nanos(startMs),
    endTimeUnixNano: nanos(startMs + durationMs),
    durationMs,
    attributes,
    events:
      spec.exception === undefined
        ? []
        : [
            {
              name: 'exception',
              timeUnixNano: nanos(spec.exception.atMs ?? startMs),
              attributes: { 'exception.type': spec.exception.type, 'exception.message': spec.exception.message },
            },
          ],
    links: [],
    status: spec.error ? { code: 'ERROR', message: spec.statusMessage } : { code: 'UNSET' },
    resource: { 'service.name': spec.service },
    scope: { name: 'test' },
  };
}

export function lineOf(spec: SpanSpec): string {
  return JSON.stringify(makeSpan(spec));
}

export class TempDir {
  readonly root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-report-unit-'));
  write(name: string, lines: string[], options: { gzip?: boolean } = {}): string {
    const file = path.join(this.root, name);
    const text = lines.map((line) => line + '\n').join('');
    fs.writeFileSync(file, options.gzip ? gzipSync(text) : text);
    return file;
  }
  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
