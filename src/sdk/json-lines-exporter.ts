/**
 * The `console` exporter: one self-contained JSON object per span per line, for humans and for tests
 * that read stdout. (The `file` exporter writes OTLP/JSON: otlp-json-file-exporter.ts. This per-span
 * shape is what it wrote before; `otel-agent report` still reads it, see src/report/read-spans.ts.)
 *
 * Each line carries the resource, so a line can be read on its own (grep, jq, `otel-agent report`).
 * Lines are written synchronously per batch: a crash loses at most the batch in flight, and the
 * export worker can write while the main thread is blocked at exit (process.stdout in a worker is
 * proxied through the main thread, so console output goes straight to fd 1 instead).
 */
import { ExportResultCode, hrTimeToNanoseconds } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { closeSync, openSync } from 'fs';
import { writeAllSync } from '../write-all-sync';

export interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState?: string;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  attributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: string; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  resource: Record<string, unknown>;
  scope: { name: string; version?: string };
}

const STATUS_NAMES = { [SpanStatusCode.UNSET]: 'UNSET', [SpanStatusCode.OK]: 'OK', [SpanStatusCode.ERROR]: 'ERROR' } as const;

export function toJsonSpan(span: ReadableSpan): JsonSpan {
  const context = span.spanContext();
  const durationNs = hrTimeToNanoseconds(span.duration);
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    traceState: context.traceState?.serialize() || undefined,
    name: span.name,
    kind: SpanKind[span.kind] ?? 'INTERNAL',
    startTimeUnixNano: String(hrTimeToNanoseconds(span.startTime)),
    endTimeUnixNano: String(hrTimeToNanoseconds(span.endTime)),
    durationMs: durationNs / 1e6,
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixNano: String(hrTimeToNanoseconds(event.time)),
      attributes: { ...event.attributes },
    })),
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
      attributes: { ...link.attributes },
    })),
    status: { code: STATUS_NAMES[span.status.code] ?? 'UNSET', message: span.status.message || undefined },
    resource: { ...span.resource.attributes },
    scope: { name: span.instrumentationScope.name, version: span.instrumentationScope.version },
  };
}

export class JsonLinesExporter implements SpanExporter {
  private _fd: number | undefined;

  /** `target` is a file path (opened for append on first export) or an open fd such as 1 (stdout). */
  constructor(private readonly _target: string | number) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      this._fd ??= typeof this._target === 'number' ? this._target : openSync(this._target, 'a');
      writeAllSync(this._fd, spans.map((span) => JSON.stringify(toJsonSpan(span))).join('\n') + '\n');
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    if (typeof this._target === 'string' && this._fd !== undefined) closeSync(this._fd);
    this._fd = undefined;
  }

  async forceFlush(): Promise<void> {}
}
