/**
 * The export worker: batching, masking and exporting, off the app's main thread.
 *
 * Receives span batches from WorkerSpanProcessor (span-codec.ts), decodes them into SpanRecords, masks
 * them, rebuilds ReadableSpan views (and, for the OTLP exporters, their encoded bytes:
 * otlp-trace-encoder.ts EncodedSpan) and feeds one upstream BatchSpanProcessor per configured exporter
 * (bounded queue, batch size, schedule delay, export timeout: the TRACING_* batch options). Nothing
 * here is instrumented (the worker runs no preload), so exports never trace themselves.
 */
import { parentPort, workerData } from 'worker_threads';
import { createNoopMeter, diag, DiagLogLevel } from '@opentelemetry/api';
import type { Attributes, Counter, Meter, MeterProvider } from '@opentelemetry/api';
import { setGlobalErrorHandler, ExportResultCode } from '@opentelemetry/core';
import type { ExportResult } from '@opentelemetry/core';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Resource } from '@opentelemetry/resources';
import { createLogger, registerDiagnosticSecrets, secretsOfConfig } from '../logger';
import type { AgentLogger } from '../logger';
import { createExporters } from './exporters';
import type { NamedExporter } from './exporters';
import { toReadableSpan } from './readable-span-view';
import { preEncodeSpans } from './otlp-trace-encoder';
import type { EncodedSpan } from './otlp-trace-encoder';
import { createSpanRecordPreparer } from './prepare-span-record';
import { compileMaskingPolicy } from '../redact';
import type { MaskingPolicy } from '../redact';
import type { AgentConfig } from '../config/types';
import { buildResource } from './resource';
import { randomUUID } from 'crypto';
import type { SpanRecord } from '../span-record';
import { decodeSpanBatch } from './span-codec';
import type { EncodedSpanBatch } from './span-codec';
import { FlushSignal } from './flush-signal';
import type { ExportWorkerData, ToExportWorker } from './worker-protocol';
import { errorMessage } from '../error-message';

/**
 * Every span the worker loses, published in the shared flush signal so the main thread can print one
 * total at exit even while it blocks in Atomics.wait (no message can reach it then).
 */
class DroppedSpanCounter {
  failedExports = 0;
  queueFull = 0;
  /** Still queued or in flight when a final flush (exit, shutdown) ran out of time. */
  unexportedAtExit = 0;

  private _final = false;

  constructor(private readonly _signal: FlushSignal) {}

  add(kind: 'failedExports' | 'queueFull' | 'unexportedAtExit', count: number): void {
    // After a final flush ran out of time, its abandoned spans are counted: an in-flight export that
    // fails afterwards must not count them twice.
    if (this._final) return;
    this[kind] += count;
    const total = this.failedExports + this.queueFull + this.unexportedAtExit;
    this._signal.publishDropped(total);
  }

  /** Counts what a final flush left behind, then stops counting. */
  abandonAtExit(count: number): void {
    this.add('unexportedAtExit', count);
    this._final = true;
  }
}

/**
 * Spans a final flush leaves behind when it runs out of time: those given to a BatchSpanProcessor that
 * it has not finished with (exported, failed or dropped, all of which it counts through its
 * self-observability counter). Counted per processor, like the other drops.
 */
class PendingSpanTracker {
  private _given = 0;
  private _finished = 0;

  given(count: number): void {
    this._given += count;
  }

  finished(count: number): void {
    this._finished += count;
  }

  get pending(): number {
    return Math.max(0, this._given - this._finished);
  }
}

/**
 * Upstream's BatchSpanProcessor reports queue-full drops only through a deferred diag.warn ("Dropped N
 * spans because maxQueueSize reached", logged when the NEXT span fits, so never for the last run of
 * drops) and through its self-observability counter otel.sdk.processor.span.processed (error.type=
 * queue_full). We count the latter, and every span it finished with: a meter that is a no-op except for
 * that counter. (`selfObsMeterProvider` is marked experimental upstream; if it goes away, the
 * unit test of WorkerSpanProcessor's accounting fails.)
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/packages/sdk-trace/src/export/SpanProcessorMetrics.ts
 */
function spanOutcomeCountingMeterProvider(onQueueFull: (count: number) => void, onFinished: (count: number) => void): MeterProvider {
  const noop = createNoopMeter();
  // otel.sdk.processor.span.processed: every span the processor is done with, error.type telling how.
  const counter: Counter = {
    add(value: number, attributes?: Attributes) {
      onFinished(value);
      if (attributes?.['error.type'] === 'queue_full') onQueueFull(value);
    },
  };
  const meter: Meter = Object.assign(Object.create(noop) as Meter, { createCounter: () => counter });
  return { getMeter: () => meter };
}

/**
 * Counts and reports failed exports; the spans of a failed batch are dropped (no retry storms). Knows
 * which of its exports are still in flight, for flushes (exportsSettled).
 */
class ReportingExporter implements SpanExporter {
  droppedSpans = 0;

  private _inFlight = 0;
  private _onSettled: (() => void)[] = [];

  constructor(
    readonly named: NamedExporter,
    private readonly _logger: AgentLogger,
    private readonly _dropped: DroppedSpanCounter,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this._inFlight++;
    let answered = false;
    const settle = () => {
      if (answered) return;
      answered = true;
      if (--this._inFlight === 0) for (const resolve of this._onSettled.splice(0)) resolve();
    };
    try {
      this._export(spans, (result) => {
        settle();
        resultCallback(result);
      });
    } catch (err) {
      settle();
      throw err;
    }
  }

  /**
   * Resolves when none of this exporter's exports is in flight. BatchSpanProcessor.forceFlush awaits
   * only the batches it takes from its queue itself, not the one its timer (or a full batch) sent just
   * before: at exit, that export was cut off when the process ended, its spans lost and never counted
   * (the pii-leak suite lost its last ~500 spans to gRPC one run in two, on 2 cores). The specification
   * asks a processor's ForceFlush to complete the exports of spans it already had.
   */
  exportsSettled(): Promise<void> {
    if (this._inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this._onSettled.push(resolve));
  }

  private _export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.named.exporter.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        this.droppedSpans += spans.length;
        this._dropped.add('failedExports', spans.length);
        const reason = result.error?.message ?? 'unknown error';
        this._logger.warnRateLimited(
          `export:${this.named.name}`,
          `${this.named.name} export to ${this.named.destination} failed (${reason.split('\n')[0]}); ${spans.length} spans dropped, ${this.droppedSpans} so far`,
        );
      } else {
        this._logger.debug(`${this.named.name}: exported ${spans.length} spans to ${this.named.destination}`);
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.exportsSettled().then(() => this.named.exporter.shutdown());
  }

  forceFlush(): Promise<void> {
    return this.exportsSettled().then(() => this.named.exporter.forceFlush?.());
  }
}

function compileWorkerMaskingPolicy(config: AgentConfig, logger: AgentLogger): MaskingPolicy {
  const { policy, problems } = compileMaskingPolicy({ extraPatterns: config.piiPatterns, extraKeys: config.piiKeys, clientIp: config.piiClientIp });
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

/** Resolves true when `promise` settled within `timeoutMs`, false when the time ran out first. */
function withTimeout(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
    const settled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(settled, settled);
  });
}

/**
 * A synchronous flush answers this much before the main thread stops waiting, so that its count of
 * abandoned spans is published before the main thread prints the total.
 */
function syncFlushMarginMs(timeoutMs: number): number {
  return Math.min(100, Math.floor(timeoutMs / 10));
}

function startExportWorker(data: ExportWorkerData): void {
  const { config } = data;
  const flushSignal = new FlushSignal(data.flushSignal);
  // The worker has its own copy of the logger module: its diagnostic lines mask the same secrets.
  registerDiagnosticSecrets(secretsOfConfig(config));
  const logger = createLogger(config.logLevel);
  const dropped = new DroppedSpanCounter(flushSignal);
  const pending = new PendingSpanTracker();
  scrubExporterEnv();

  // Rate-limit by the message's shape, not its text: "Dropped 17 spans ..." and "Dropped 18 spans ..."
  // are one fault, and must not each print a line.
  const diagKey = (message: string) => `diag:${message.replace(/\d+/g, 'N').slice(0, 60)}`;
  diag.setLogger(
    {
      error: (message) => logger.warnRateLimited(diagKey(message), message),
      // Queue-full drops are counted (DroppedSpanCounter) and reported at exit; keep them at debug.
      warn: (message) => (/maxQueueSize reached/.test(message) ? logger.debug(message) : logger.warnRateLimited(diagKey(message), message)),
      info: (message) => logger.debug(message),
      debug: (message) => logger.debug(message),
      verbose: () => {},
    },
    { logLevel: logger.isEnabled('debug') ? DiagLogLevel.DEBUG : DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  // Failed batches are reported by ReportingExporter with their destination; keep the rest quiet.
  setGlobalErrorHandler((err) => logger.debug(`export error: ${errorMessage(err)}`));

  const resource: Resource = buildResource(config, data.processAttributes, randomUUID());

  const exporters = createExporters(config, (name, err) =>
    logger.error(`cannot create the ${name} exporter (${errorMessage(err)}); spans are not sent there`),
  ).map((named) => new ReportingExporter(named, logger, dropped));
  const selfObsMeterProvider = spanOutcomeCountingMeterProvider(
    (count) => {
      dropped.add('queueFull', count);
      logger.warnRateLimited(
        'worker-queue-full',
        `span queue full (TRACING_MAX_QUEUE_SIZE=${config.maxQueueSize}): the collector is not keeping up or unreachable; dropping spans`,
      );
    },
    (count) => pending.finished(count),
  );

  const processors = exporters.map(
    (exporter) =>
      new BatchSpanProcessor({
        exporter,
        maxQueueSize: config.maxQueueSize,
        maxExportBatchSize: config.batchSize,
        scheduledDelayMillis: config.scheduleDelayMs,
        exportTimeoutMillis: config.exportTimeoutMs,
        selfObsMeterProvider,
      }),
  );

  const policy = config.piiMasking ? compileWorkerMaskingPolicy(config, logger) : undefined;
  const prepareSpanRecord = createSpanRecordPreparer(config, data.appRoot, policy, (err) =>
    logger.warnOnce('worker:masking', `internal error while masking a span (${String(err)}); such spans are exported without attributes or events`),
  );

  // The OTLP exporters queue each span as its encoded bytes (otlp-trace-encoder.ts EncodedSpan), written
  // once on arrival; the others queue the span.
  const takesEncoded = exporters.map((exporter) => exporter.named.takesEncodedSpans === true);

  const ingest = (batch: EncodedSpanBatch | undefined) => {
    if (batch === undefined) return;
    let records: SpanRecord[];
    try {
      records = decodeSpanBatch(batch);
    } catch (err) {
      logger.warnOnce('worker:decode-batch', `internal error reading a batch of spans (${String(err)}); ${batch.spanCount} spans skipped`);
      return;
    }
    const spans: ReadableSpan[] = [];
    for (const record of records) {
      try {
        spans.push(toReadableSpan(prepareSpanRecord(record), resource));
      } catch (err) {
        logger.warnOnce('worker:to-readable-span', `internal error preparing a span for export (${String(err)}); span skipped`);
      }
    }
    let encoded: EncodedSpan[] | undefined;
    if (takesEncoded.includes(true)) {
      try {
        encoded = preEncodeSpans(spans);
      } catch (err) {
        // The spans themselves go to the OTLP exporters, whose encoder then meets the same fault.
        logger.warnOnce('worker:pre-encode', `internal error encoding spans ahead of export (${String(err)}); they are encoded when exported`);
      }
    }
    for (let i = 0; i < processors.length; i++) {
      // BatchSpanProcessor reads what an EncodedSpan has (spanContext().traceFlags, resource).
      const given = takesEncoded[i] && encoded !== undefined ? (encoded as unknown as ReadableSpan[]) : spans;
      for (const span of given) processors[i].onEnd(span);
    }
    pending.given(processors.length * spans.length);
  };

  const acknowledge = (id: number, sync: boolean, timedOut: boolean) => {
    if (sync) {
      flushSignal.acknowledgeFlush(id, timedOut);
    } else {
      parentPort?.postMessage({ type: 'flushed', id });
    }
  };

  parentPort?.on('message', (message: ToExportWorker) => {
    if (message.type === 'metrics') {
      startMetricsHostIn(config, message, resource, policy, logger);
      return;
    }
    ingest(message.batch);
    if (message.type !== 'flush') return;
    // shutdown() ends with the exporter's shutdown(), which awaits its exports in flight; forceFlush()
    // does not (ReportingExporter.exportsSettled says why).
    const work = message.shutdown
      ? Promise.all(processors.map((processor) => processor.shutdown()))
      : Promise.all(processors.map((processor, i) => processor.forceFlush().then(() => exporters[i].forceFlush())));
    const deadline = message.sync ? message.deadline - syncFlushMarginMs(message.timeoutMs) : message.deadline;
    void withTimeout(work, Math.max(0, deadline - Date.now())).then((completed) => {
      // A final flush (exit, shutdown) that ran out of time loses what is still queued or in flight.
      const final = message.sync || message.shutdown;
      if (!completed && final) {
        logger.debug(`final flush timed out with ${pending.pending} spans not exported`);
        dropped.abandonAtExit(pending.pending);
      }
      acknowledge(message.id, message.sync, !completed);
    });
  });
}

/**
 * Metrics are on (metrics/metrics-pipeline.ts sent its channel): the Prometheus endpoint and the metrics
 * exporters start here, loaded only then. Their resource is the spans' (primitive values, masked).
 */
function startMetricsHostIn(
  config: AgentConfig,
  message: Extract<ToExportWorker, { type: 'metrics' }>,
  resource: Resource,
  policy: MaskingPolicy | undefined,
  logger: AgentLogger,
): void {
  try {
    const { startMetricsHost } = require('../metrics/worker/metrics-host') as typeof import('../metrics/worker/metrics-host');
    const resourceAttributes = Promise.resolve(resource.waitForAsyncAttributes?.()).then(() => {
      const attributes: Record<string, string | number | boolean> = {};
      for (const [key, value] of Object.entries(resource.attributes)) {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
        else if (Array.isArray(value)) attributes[key] = JSON.stringify(value);
      }
      return (policy?.maskAttributes(attributes) ?? attributes) as Record<string, string | number | boolean>;
    });
    startMetricsHost({ config, port: message.port, signal: message.signal, resourceAttributes, policy, logger });
  } catch (err) {
    logger.error(`cannot start metrics export (${errorMessage(err)}); metrics are not exported, spans still are`);
  }
}

startExportWorker(workerData as ExportWorkerData);
