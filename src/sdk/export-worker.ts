/**
 * The export worker: batching, masking and exporting, off the app's main thread.
 *
 * Receives SpanRecords from WorkerSpanProcessor, rebuilds ReadableSpan views and feeds one upstream
 * BatchSpanProcessor per configured exporter (bounded queue, batch size, schedule delay, export
 * timeout: the TRACING_* batch options). Nothing here is instrumented (the worker runs no preload),
 * so exports never trace themselves.
 */
import { parentPort, workerData } from 'worker_threads';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { setGlobalErrorHandler, ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { defaultResource, detectResources, hostDetector, resourceFromAttributes } from '@opentelemetry/resources';
import type { Resource } from '@opentelemetry/resources';
import { createLogger } from '../logger';
import type { AgentLogger } from '../logger';
import { createExporters } from './exporters';
import type { NamedExporter } from './exporters';
import { toReadableSpan } from './readable-span-view';
import { createSpanRecordPreparer } from './prepare-span-record';
import { compileMaskingPolicy } from '../redact';
import type { MaskingPolicy } from '../redact';
import type { AgentConfig } from '../config/types';
import { serviceResourceAttributes } from './resource';
import type { SpanRecord } from './span-record';
import type { ExportWorkerData, ToExportWorker } from './worker-protocol';

/** Counts and reports failed exports; the spans of a failed batch are dropped (no retry storms). */
class ReportingExporter implements SpanExporter {
  droppedSpans = 0;

  constructor(
    private readonly _named: NamedExporter,
    private readonly _logger: AgentLogger,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this._named.exporter.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        this.droppedSpans += spans.length;
        const reason = result.error?.message ?? 'unknown error';
        this._logger.warnRateLimited(
          `export:${this._named.name}`,
          `${this._named.name} export to ${this._named.destination} failed (${reason.split('\n')[0]}); ${spans.length} spans dropped, ${this.droppedSpans} so far`,
        );
      } else {
        this._logger.debug(`${this._named.name}: exported ${spans.length} spans to ${this._named.destination}`);
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this._named.exporter.shutdown();
  }

  forceFlush(): Promise<void> {
    return this._named.exporter.forceFlush?.() ?? Promise.resolve();
  }
}

function compileWorkerMaskingPolicy(config: AgentConfig, logger: AgentLogger): MaskingPolicy {
  const { policy, problems } = compileMaskingPolicy({ extraPatterns: config.piiPatterns, extraKeys: config.piiKeys });
  for (const problem of problems) logger.warn(problem);
  return policy;
}

function scrubExporterEnv(): void {
  // The worker has its own copy of process.env. Upstream exporters read OTEL_EXPORTER_* for any option
  // we leave unset; the config layer already applied those as fallbacks, so TRACING_* must win here.
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('OTEL_EXPORTER_')) delete process.env[name];
  }
}

function withTimeout(promise: Promise<unknown>, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

function startExportWorker(data: ExportWorkerData): void {
  const { config } = data;
  const flushSignal = new Int32Array(data.flushSignal);
  const logger = createLogger(config.logLevel);
  scrubExporterEnv();

  diag.setLogger(
    {
      error: (message) => logger.warnRateLimited(`diag:${message.slice(0, 40)}`, message),
      warn: (message) => logger.warnRateLimited(`diag:${message.slice(0, 40)}`, message),
      info: (message) => logger.debug(message),
      debug: (message) => logger.debug(message),
      verbose: () => {},
    },
    { logLevel: logger.isEnabled('debug') ? DiagLogLevel.DEBUG : DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  // Failed batches are reported by ReportingExporter with their destination; keep the rest quiet.
  setGlobalErrorHandler((err) => logger.debug(`export error: ${err instanceof Error ? err.message : String(err)}`));

  const resource: Resource = defaultResource()
    .merge(detectResources({ detectors: [hostDetector] }))
    .merge(resourceFromAttributes(data.processAttributes))
    .merge(resourceFromAttributes(serviceResourceAttributes(config)));

  const exporters = createExporters(config, (name, err) =>
    logger.error(`cannot create the ${name} exporter (${err instanceof Error ? err.message : String(err)}); spans are not sent there`),
  ).map((named) => new ReportingExporter(named, logger));

  const processors = exporters.map(
    (exporter) =>
      new BatchSpanProcessor({
        exporter,
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: config.batchSize,
        scheduledDelayMillis: config.scheduleDelayMs,
        exportTimeoutMillis: config.exportTimeoutMs,
      }),
  );

  const policy = config.piiMasking ? compileWorkerMaskingPolicy(config, logger) : undefined;
  const prepareSpanRecord = createSpanRecordPreparer(config, data.appRoot, policy, (err) =>
    logger.warnOnce('worker:masking', `internal error while masking a span (${String(err)}); such spans are exported without attributes or events`),
  );

  const ingest = (records: SpanRecord[]) => {
    for (const record of records) {
      let span: ReadableSpan;
      try {
        span = toReadableSpan(prepareSpanRecord(record), resource);
      } catch (err) {
        logger.warnOnce('worker:to-readable-span', `internal error preparing a span for export (${String(err)}); span skipped`);
        continue;
      }
      for (const processor of processors) processor.onEnd(span);
    }
  };

  const acknowledge = (id: number, sync: boolean) => {
    if (sync) {
      if (Atomics.load(flushSignal, 0) < id) Atomics.store(flushSignal, 0, id);
      Atomics.notify(flushSignal, 0);
    } else {
      parentPort?.postMessage({ type: 'flushed', id });
    }
  };

  parentPort?.on('message', (message: ToExportWorker) => {
    ingest(message.spans);
    if (message.type !== 'flush') return;
    const work = message.shutdown
      ? Promise.all(processors.map((processor) => processor.shutdown()))
      : Promise.all(processors.map((processor) => processor.forceFlush()));
    void withTimeout(work, message.timeoutMs).then(() => acknowledge(message.id, message.sync));
  });
}

startExportWorker(workerData as ExportWorkerData);
