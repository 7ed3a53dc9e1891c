/**
 * The `file` exporter: OTLP/JSON, one `ExportTraceServiceRequest` per line (one line per batch), the
 * format of the OpenTelemetry Collector's file exporter and of its `otlpjsonfile` receiver, so a file
 * can be replayed into a Collector or opened by any OTLP tool.
 *
 * The bytes are upstream's: `JsonTraceSerializer` from @opentelemetry/otlp-transformer (hex ids,
 * decimal-string nanoseconds, enums as numbers), the serializer upstream's OTLP/HTTP JSON exporter
 * posts. JSON.stringify escapes every newline inside strings, so a request is always one line.
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/experimental/packages/otlp-transformer/src/trace/json/trace.ts
 * https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/exporter/fileexporter
 * https://github.com/open-telemetry/opentelemetry-collector-contrib/tree/main/receiver/otlpjsonfilereceiver
 *
 * Lines are written synchronously per batch, as the console exporter does (json-lines-exporter.ts):
 * a crash loses at most the batch in flight.
 */
import { ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { closeSync, openSync } from 'fs';
import { writeAllSync } from '../write-all-sync';

type OtlpTransformerModule = typeof import('@opentelemetry/otlp-transformer');

/** Upstream's serializer (otlp-transformer, as exporters.ts takes it for OTLP/HTTP). Loaded on first use only. */
function loadJsonTraceSerializer(): OtlpTransformerModule['JsonTraceSerializer'] {
  return (require('@opentelemetry/otlp-transformer') as OtlpTransformerModule).JsonTraceSerializer;
}

const NEWLINE = Buffer.from('\n');

export class OtlpJsonFileExporter implements SpanExporter {
  private _fd: number | undefined;
  private _serializer: OtlpTransformerModule['JsonTraceSerializer'] | undefined;

  /** `_path` is opened for append on the first export. */
  constructor(private readonly _path: string) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      if (spans.length === 0) return resultCallback({ code: ExportResultCode.SUCCESS });
      this._serializer ??= loadJsonTraceSerializer();
      const request = this._serializer.serializeRequest(spans);
      if (request === undefined) throw new Error('the OTLP/JSON serializer returned nothing');
      this._fd ??= openSync(this._path, 'a');
      writeAllSync(this._fd, Buffer.concat([request, NEWLINE]));
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      resultCallback({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {
    if (this._fd !== undefined) closeSync(this._fd);
    this._fd = undefined;
  }

  async forceFlush(): Promise<void> {}
}
