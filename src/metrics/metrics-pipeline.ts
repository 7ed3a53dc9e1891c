/**
 * Metrics on the main thread (TRACING_METRICS other than none; required only then, so tracing-only
 * users load none of this): the HTTP server and client histograms with exemplars, active requests,
 * runtime metrics, and the channel to the export worker, where every exporter lives.
 *
 * Approach: measurements are aggregated here, in the process that sees the requests (a Map lookup and a
 * bucket increment per request); the worker asks for a snapshot whenever it needs one (a scrape, an
 * OTLP interval) and the main thread answers with plain data. At exit the last snapshot is posted and
 * waited for within the exit flush's budget (sdk/exit-hooks.ts), alongside the spans, not after them.
 */
import { MessageChannel } from 'worker_threads';
import type { MessagePort } from 'worker_threads';
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';
import { observeServerRequests } from '../patches/request-spans';
import { reportInternalError } from '../safe';
import type { OutcomeKeepingProcessor } from '../sdk/keep-by-outcome';
import type { WorkerSpanProcessor } from '../sdk/worker-span-processor';
import { installClientRequestMetrics } from './client-request-metrics';
import { DurationHistogram, UpDownCounter } from './duration-histogram';
import { ExportedTraceExemplars } from './exported-trace-exemplars';
import { FINAL_EXPORT_DONE_SLOT, METRICS_SIGNAL_SLOTS } from './metrics-protocol';
import type { FromMetricsHost, ToMetricsHost } from './metrics-protocol';
import { startRuntimeMetrics } from './runtime-metrics';
import { createServerRequestObserver } from './server-request-metrics';
import type { RuntimeMetrics } from './runtime-metrics';
import type { MetricSnapshot, MetricsSnapshot } from './snapshot';

export const METRICS_SCOPE = '@x/otel-agent';

export interface MetricsPipeline {
  /** Posts the final snapshot to the worker's push exporters (exit path; never blocks). */
  beginFinalExport(deadline: number): void;
  /** Blocks until that export is done or `deadline` (wall-clock ms) passes; false on timeout. */
  awaitFinalExport(deadline: number): boolean;
  /** The HTTP metrics as of now (tests and the final export read this). */
  snapshotNow(): MetricsSnapshot;
  shutdown(): Promise<void>;
}

export interface MetricsPipelineOptions {
  config: AgentConfig;
  /** The export worker's owner: the metrics channel is handed to its worker. */
  worker: WorkerSpanProcessor;
  /** Whether spans are exported at all (exemplars only name traces that exist). */
  spansExported: boolean;
  keeping: OutcomeKeepingProcessor | undefined;
  logger: AgentLogger;
}

export function startMetricsPipeline(options: MetricsPipelineOptions): MetricsPipeline {
  const { config, logger } = options;
  const startTimeMs = Date.now();
  const serverDuration = new DurationHistogram('http.server.request.duration', 'Duration of HTTP server requests.', METRICS_SCOPE);
  const clientDuration = new DurationHistogram('http.client.request.duration', 'Duration of HTTP client requests.', METRICS_SCOPE);
  const activeRequests = new UpDownCounter('http.server.active_requests', 'Number of active HTTP server requests.', '{request}', METRICS_SCOPE, [
    'http.request.method',
    'url.scheme',
  ]);
  const exemplars = new ExportedTraceExemplars(options.spansExported, options.keeping);

  observeServerRequests(createServerRequestObserver(serverDuration, activeRequests, exemplars));
  const uninstallClientMetrics = installClientRequestMetrics(clientDuration, exemplars);
  const runtime: RuntimeMetrics | undefined = config.runtimeMetrics ? startRuntimeMetrics(logger) : undefined;

  const httpMetrics = (): MetricSnapshot[] => [serverDuration.snapshot(), activeRequests.snapshot(), clientDuration.snapshot()];
  const snapshotWith = (extra: MetricSnapshot[]): MetricsSnapshot => ({ startTimeMs, timeMs: Date.now(), metrics: [...httpMetrics(), ...extra] });

  const channel = new MessageChannel();
  const port: MessagePort = channel.port1;
  const signal = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * METRICS_SIGNAL_SLOTS));
  let nextFinalId = 1;
  let pendingFinal: { id: number; resolve: () => void } | undefined;
  const post = (message: ToMetricsHost) => {
    try {
      port.postMessage(message);
    } catch (err) {
      reportInternalError('metrics hand-off', err);
    }
  };
  port.on('message', (message: FromMetricsHost) => {
    if (message.type === 'collect') {
      void (runtime?.collect() ?? Promise.resolve([])).then((extra) => post({ type: 'snapshot', id: message.id, snapshot: snapshotWith(extra) }));
    } else if (message.type === 'final-done' && pendingFinal?.id === message.id) {
      pendingFinal.resolve();
      pendingFinal = undefined;
    }
  });
  // The port must never keep the app alive; a scrape still reaches it while the app runs.
  port.unref();
  // Handed over on the first timer turn, like the worker's own start (worker-span-processor.ts):
  // starting the worker during the preload would delay the app's startup.
  let handedOver = false;
  const handOver = () => {
    if (handedOver) return;
    handedOver = true;
    options.worker.openWorkerChannel({ type: 'metrics', port: channel.port2, signal: signal.buffer }, [channel.port2]);
  };
  setTimeout(handOver, 0).unref();

  let lastFinalId = 0;
  let stopped = false;
  // Prometheus alone pushes nothing: exit need not wait for the worker (which may not even have started).
  const pushes = config.metricsExporters.some((name) => name === 'otlp' || name === 'otlp-http' || name === 'console');
  const stop = () => {
    if (stopped) return;
    stopped = true;
    observeServerRequests(undefined);
    uninstallClientMetrics();
    runtime?.stop();
  };

  const pipeline: MetricsPipeline = {
    beginFinalExport(deadline) {
      if (!pushes) return;
      handOver();
      lastFinalId = nextFinalId++;
      post({ type: 'final', id: lastFinalId, snapshot: snapshotWith(runtime?.last ?? []), deadline });
    },
    awaitFinalExport(deadline) {
      for (;;) {
        const done = Atomics.load(signal, FINAL_EXPORT_DONE_SLOT);
        if (done >= lastFinalId) return true;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return false;
        Atomics.wait(signal, FINAL_EXPORT_DONE_SLOT, done, remaining);
      }
    },
    snapshotNow() {
      return snapshotWith([]);
    },
    async shutdown() {
      if (stopped) return;
      if (!pushes) {
        stop();
        port.close();
        return;
      }
      const deadline = Date.now() + config.shutdownTimeoutMs;
      const extra = (await runtime?.collect()) ?? [];
      stop();
      handOver();
      const id = nextFinalId++;
      port.ref(); // an awaited shutdown keeps the process up until the export answers (bounded)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.shutdownTimeoutMs + 100);
        pendingFinal = {
          id,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        post({ type: 'final', id, snapshot: snapshotWith(extra), deadline });
      });
      port.close();
    },
  };
  return pipeline;
}
