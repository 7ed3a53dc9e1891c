/**
 * The main thread's only span processor: hands finished, sampled spans to the export worker.
 *
 * Approach: the expensive half of tracing (batching, masking, OTLP/thrift serialization, network I/O,
 * retries) runs in a worker thread, so it neither slows the app's event loop nor delays its startup
 * (the exporter modules load in the worker). The main thread only writes each ended span into a compact
 * binary batch (span-codec.ts) and posts it, transferred rather than copied, every HANDOFF_DELAY_MS or
 * every batchSize spans.
 *
 * At exit the same channel gives Node-exact semantics: the 'exit' handler (and the signal path) posts
 * what is queued and blocks in Atomics.wait, bounded by the shutdown budget, until the worker has
 * exported; process.exit() is never wrapped, so code after it never runs and exit codes are unchanged.
 *
 * Limitations: spans still open at exit are not exported (they have not ended); SIGKILL loses the
 * last HANDOFF_DELAY_MS of spans and whatever the worker had not exported yet.
 */
import { TraceFlags } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { Worker } from 'worker_threads';
import type { MessagePort } from 'worker_threads';
import * as path from 'path';
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';
import { reportInternalError } from '../safe';
import { SpanBatchEncoder } from './span-codec';
import type { EncodedSpanBatch } from './span-codec';
import { ATTR_KEPT_BY } from './kept-by';
import type { KeepCounts } from './keep-by-outcome';
import { findAppRoot, processResourceAttributes } from './resource';
import { FlushSignal } from './flush-signal';
import type { ExportWorkerData, FromExportWorker, ToExportWorker } from './worker-protocol';
import { errorMessage } from '../error-message';

const HANDOFF_DELAY_MS = 200;

/**
 * Set (to true) by scripts/bundle-agent.js in build/agent-bundle.js, whose __dirname is build/: the
 * worker then runs the worker's own bundle, build/export-worker-bundle.js (less memory for its life).
 */
declare const OTEL_AGENT_BUNDLE: boolean | undefined;
const EXPORT_WORKER_FILE =
  typeof OTEL_AGENT_BUNDLE === 'undefined' ? path.join(__dirname, 'export-worker.js') : path.join(__dirname, 'export-worker-bundle.js');

/**
 * The export worker's young generation, in V8's count (3 x the semi-space: 8 MiB is ~2.7 MiB
 * semi-spaces). Its garbage is one hand-off batch at a time, so a small young generation costs it no
 * CPU, while every MiB of it is resident. A/B on Node 24 (bench/run.js --baseline-register, /users/:id
 * at 100%, 5 interleaved rounds each, medians): 48 (Node 20's default) -> 16: worker CPU 7.3 -> 6.8
 * us/request, process RSS after load 379 -> 364 MiB; 16 -> 8: worker CPU 6.9 -> 7.0, RSS 360 -> 332 MiB.
 */
export const EXPORT_WORKER_YOUNG_GENERATION_MB = 8;

export class WorkerSpanProcessor implements SpanProcessor {
  private _worker: Worker | undefined;
  private readonly _flushSignal: FlushSignal;
  private readonly _pendingFlushes = new Map<number, () => void>();
  private _batch = new SpanBatchEncoder();
  private _handoffTimer: NodeJS.Timeout | undefined;
  private _nextFlushId = 1;
  private _spansHandedOff = 0;
  private _droppedSpans = 0;
  private _droppedSpansReported = false;
  private _isShutDown = false;
  /** Set when keep-by-outcome.ts runs in front of this processor: its counts go into the exit line. */
  keepCounts: KeepCounts | undefined;

  constructor(
    private readonly _config: AgentConfig,
    private readonly _logger: AgentLogger,
  ) {
    this._flushSignal = FlushSignal.create();
    // The worker starts on the first timer turn, after the app's main module has run, not during the
    // preload: started here it cost the app ~60 ms of time-to-listening (bench startup, 2 cores),
    // started a tick later it cost nothing measurable. Anything that needs it sooner (a hand-off, a
    // flush at exit) starts it on the spot.
    setTimeout(() => this._startedWorker(), 0).unref();
  }

  /** The export worker, started on first use; undefined once it could not start (spans are then dropped). */
  private _startedWorker(): Worker | undefined {
    if (this._worker !== undefined || this._isShutDown) return this._worker;
    try {
      this._worker = this._startWorker();
    } catch (err) {
      this._isShutDown = true;
      this._logger.error(`cannot start the export worker (${errorMessage(err)}); spans are not exported, your application continues`);
    }
    return this._worker;
  }

  private _startWorker(): Worker {
    const workerData: ExportWorkerData = {
      otelAgentExportWorker: true,
      config: this._config,
      processAttributes: processResourceAttributes(),
      appRoot: findAppRoot(),
      flushSignal: this._flushSignal.buffer,
    };
    const worker = new Worker(EXPORT_WORKER_FILE, {
      workerData,
      // No preloads (-r, --import) and no inspector flags: the worker must never instrument itself.
      execArgv: [],
      // V8 sizes the young generation from the machine's memory, and newer V8 lets it grow far more:
      // under load the worker's heap reached ~150 MiB on Node 24 against ~55 MiB on Node 20 (measured
      // with a slow collector). A background exporter needs far less, so it is pinned (see the
      // constant): the worker costs the same memory on every Node version.
      resourceLimits: { maxYoungGenerationSizeMb: EXPORT_WORKER_YOUNG_GENERATION_MB },
      stdout: false,
      stderr: false,
    });
    worker.on('message', (message: FromExportWorker) => {
      if (message.type === 'flushed') {
        this._pendingFlushes.get(message.id)?.();
        this._pendingFlushes.delete(message.id);
      }
    });
    worker.on('error', (err) => {
      this._isShutDown = true;
      this._logger.error(`the export worker failed (${err.message}); spans are no longer exported, your application continues`);
    });
    // The worker must never keep the app alive; exit paths wait for it explicitly instead.
    // (After adding listeners: a 'message' listener re-references the worker's port.)
    worker.unref();
    return worker;
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this._isShutDown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this._enqueue(span, undefined);
  }

  /** A span head sampling did not take, kept for its request's outcome (keep-by-outcome.ts); marked with why. */
  acceptKept(span: ReadableSpan, keptBy: string): void {
    if (this._isShutDown) return;
    this._enqueue(span, keptBy);
  }

  private _enqueue(span: ReadableSpan, keptBy: string | undefined): void {
    if (this._batch.spanCount >= this._config.maxQueueSize) {
      this._droppedSpans++;
      this._logger.warnRateLimited('main-queue-full', `span queue full (TRACING_MAX_QUEUE_SIZE=${this._config.maxQueueSize}); dropping spans`);
      return;
    }
    try {
      // A kept span is written with ATTR_KEPT_BY added and the sampled flag set: exported spans carry
      // it (the worker's batch processors export only sampled spans); the traceparent sent downstream
      // kept the head decision. The span's own objects are only read.
      this._batch.add(span, keptBy !== undefined ? ATTR_KEPT_BY : undefined, keptBy);
    } catch (err) {
      reportInternalError('span hand-off', err);
      return;
    }
    if (this._batch.spanCount >= this._config.batchSize) {
      this._handOff();
    } else if (this._handoffTimer === undefined) {
      this._handoffTimer = setTimeout(() => this._handOff(), HANDOFF_DELAY_MS);
      this._handoffTimer.unref();
    }
  }

  /** Spans lost so far: this thread's full buffer plus the worker's failed exports and full queue. */
  get droppedSpans(): number {
    return this._droppedSpans + this._flushSignal.droppedByWorker();
  }

  /**
   * Prints the one "N spans dropped" line, at most once per process (the exit flush and shutdown()
   * may both get here); nothing when no span was lost.
   */
  reportDroppedSpans(): void {
    if (this._droppedSpansReported) return;
    const dropped = this.droppedSpans;
    const kept = describeKept(this.keepCounts);
    if (dropped === 0 && (this.keepCounts?.pendingDropped ?? 0) === 0) {
      if (kept !== undefined) this._logger.info(`at exit: ${kept}`);
      return;
    }
    this._droppedSpansReported = true;
    this._logger.warn(`${dropped} spans dropped (collector unreachable or queue full)${kept !== undefined ? `; ${kept}` : ''}`);
  }

  /** True when no span was ever produced: exit paths then need not wait for the worker at all. */
  get hasNothingToFlush(): boolean {
    return this._spansHandedOff === 0 && this._batch.spanCount === 0;
  }

  forceFlush(): Promise<void> {
    return this._flushAsync('flush');
  }

  shutdown(): Promise<void> {
    return this._flushAsync('shutdown').finally(() => {
      this.reportDroppedSpans();
      this._isShutDown = true;
      void this._worker?.terminate();
    });
  }

  /**
   * Blocks the calling thread until the worker has exported everything queued, or `timeoutMs` passed.
   * For 'exit' handlers and fatal signals, where no further event-loop turn will happen.
   * Returns false on timeout (the worker then counted what it could not export as dropped).
   */
  flushSync(timeoutMs: number): boolean {
    if (this._isShutDown) return true;
    if (this.hasNothingToFlush) return true;
    const id = this._nextFlushId++;
    const deadline = Date.now() + timeoutMs;
    this._post({ type: 'flush', id, batch: this._takeBatch(), sync: true, shutdown: false, timeoutMs, deadline });
    if (this._worker === undefined) return false; // it could not start: nothing will answer
    return this._flushSignal.waitForFlush(id, deadline);
  }

  private _flushAsync(type: 'flush' | 'shutdown'): Promise<void> {
    if (this._isShutDown) return Promise.resolve();
    const id = this._nextFlushId++;
    const timeoutMs = this._config.shutdownTimeoutMs;
    return new Promise<void>((resolve) => {
      // Deliberately referenced: an app awaiting shutdown()/forceFlush() expects the process to stay
      // up until it settles (bounded by the timeout), not to exit with the promise pending.
      const timer = setTimeout(() => {
        this._pendingFlushes.delete(id);
        resolve();
      }, timeoutMs + 100);
      this._pendingFlushes.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      const deadline = Date.now() + timeoutMs;
      this._post({ type: 'flush', id, batch: this._takeBatch(), sync: false, shutdown: type === 'shutdown', timeoutMs, deadline });
    });
  }

  private _takeBatch(): EncodedSpanBatch | undefined {
    if (this._handoffTimer !== undefined) {
      clearTimeout(this._handoffTimer);
      this._handoffTimer = undefined;
    }
    const batch = this._batch.take();
    this._spansHandedOff += batch?.spanCount ?? 0;
    return batch;
  }

  private _handOff(): void {
    const batch = this._takeBatch();
    if (batch !== undefined) this._post({ type: 'spans', batch });
  }

  /**
   * Opens a channel of its own to the worker (metrics: metrics/metrics-pipeline.ts), transferring its
   * port; starts the worker if it has not started yet. Separate from span hand-off.
   */
  openWorkerChannel(message: Extract<ToExportWorker, { type: 'metrics' }>, transfer: MessagePort[]): void {
    try {
      this._startedWorker()?.postMessage(message, transfer);
    } catch (err) {
      reportInternalError('metrics channel', err);
    }
  }

  private _post(message: ToExportWorker): void {
    try {
      // The batch's buffer is transferred (moved to the worker), not copied.
      const batch = 'batch' in message ? message.batch : undefined;
      this._startedWorker()?.postMessage(message, batch !== undefined ? [batch.buffer] : []);
    } catch (err) {
      // An attribute value outside the attribute types that structured clone refuses (span-codec.ts
      // `extras`, set through an unchecked cast) loses its batch: reported, never thrown into the app.
      reportInternalError('span hand-off', err);
    }
  }
}

/** "kept 3 traces not head-sampled (2 error, 1 slow; 9 spans)", or undefined when nothing was kept or lost. */
function describeKept(counts: KeepCounts | undefined): string | undefined {
  if (counts === undefined || counts.error + counts.slow + counts.pendingDropped === 0) return undefined;
  const parts = [`kept ${counts.error + counts.slow} traces not head-sampled (${counts.error} error, ${counts.slow} slow; ${counts.spans} spans)`];
  if (counts.pendingDropped > 0) parts.push(`${counts.pendingDropped} spans of undecided requests over TRACING_KEEP_MAX_PENDING_SPANS`);
  return parts.join(', ');
}
