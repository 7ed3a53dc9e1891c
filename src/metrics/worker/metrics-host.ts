/**
 * The export worker's half of metrics: the Prometheus scrape endpoint and the push exporters (OTLP
 * gRPC / HTTP, console) live here, so the app's event loop never serves a scrape, the app's http
 * instrumentation never sees one (the worker runs no preload), and the exporters load off the main
 * thread. Data comes from the main thread on request ('collect' on the metrics channel), so a scrape
 * sees the counts of that moment.
 *
 * Every exporter gets the snapshot masked first (the masking policy, applied once per series).
 */
import * as http from 'http';
import type { MessagePort } from 'worker_threads';
import type { AgentConfig } from '../../config/types';
import type { AgentLogger } from '../../logger';
import type { MaskingPolicy } from '../../redact';
import { FINAL_EXPORT_DONE_SLOT } from '../metrics-protocol';
import type { FromMetricsHost, ToMetricsHost } from '../metrics-protocol';
import type { MetricAttributes, MetricsSnapshot } from '../snapshot';
import { createMetricsPushExporters } from './otlp-metrics-exporters';
import type { MetricsPushExporter } from './otlp-metrics-exporters';
import { CLASSIC_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE, renderPrometheus, wantsOpenMetrics } from './prometheus-text';
import { errorMessage } from '../../error-message';

/** How long a scrape or an export waits for the main thread's snapshot (a blocked app loop). */
const COLLECT_TIMEOUT_MS = 5000;
/** Masked attribute sets remembered, by series key. */
const MASK_CACHE_MAX = 10_000;

export interface MetricsHostOptions {
  config: AgentConfig;
  port: MessagePort;
  signal: SharedArrayBuffer;
  /** The resource's attributes once detected (async detectors included). */
  resourceAttributes: Promise<MetricAttributes>;
  policy: MaskingPolicy | undefined;
  logger: AgentLogger;
}

/** Masks a snapshot's attributes through the policy, caching each series' result under its key. */
export function createSnapshotMasker(policy: MaskingPolicy | undefined): (snapshot: MetricsSnapshot) => MetricsSnapshot {
  if (policy === undefined) return (snapshot) => snapshot;
  const cache = new Map<string, MetricAttributes>();
  const masked = (key: string, attributes: MetricAttributes): MetricAttributes => {
    const cacheKey = `${key}\u0001${JSON.stringify(attributes)}`;
    let result = cache.get(cacheKey);
    if (result === undefined) {
      result = policy.maskAttributes(attributes) as MetricAttributes;
      if (cache.size >= MASK_CACHE_MAX) cache.clear();
      cache.set(cacheKey, result);
    }
    return result;
  };
  return (snapshot) => ({
    ...snapshot,
    metrics: snapshot.metrics.map((metric) =>
      metric.kind === 'histogram'
        ? { ...metric, points: metric.points.map((point) => ({ ...point, attributes: masked(point.key, point.attributes) })) }
        : { ...metric, points: metric.points.map((point) => ({ ...point, attributes: masked(point.key, point.attributes) })) },
    ),
  });
}

export function startMetricsHost(options: MetricsHostOptions): void {
  const { config, port, logger } = options;
  const signal = new Int32Array(options.signal);
  const mask = createSnapshotMasker(options.policy);
  const post = (message: FromMetricsHost) => port.postMessage(message);

  let nextId = 1;
  const waiting = new Map<number, (snapshot: MetricsSnapshot | undefined) => void>();
  const collect = () =>
    new Promise<MetricsSnapshot | undefined>((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(undefined);
      }, COLLECT_TIMEOUT_MS);
      waiting.set(id, (snapshot) => {
        clearTimeout(timer);
        resolve(snapshot);
      });
      post({ type: 'collect', id });
    });

  const exporters = createMetricsPushExporters(config, (name, err) =>
    logger.error(`cannot create the ${name} metrics exporter (${errorMessage(err)}); metrics are not sent there`),
  );
  const timeoutMs = config.otlpTimeoutMs || config.exportTimeoutMs;
  const pushTo = async (exporter: MetricsPushExporter, snapshot: MetricsSnapshot, limitMs: number) => {
    try {
      await exporter.export(snapshot, await options.resourceAttributes, limitMs);
      logger.debug(`${exporter.name}: exported metrics to ${exporter.destination}`);
    } catch (err) {
      const reason = errorMessage(err);
      logger.warnRateLimited(`metrics-export:${exporter.name}`, `${exporter.name} metrics export to ${exporter.destination} failed (${reason.split('\n')[0]})`);
    }
  };
  const pushAll = (snapshot: MetricsSnapshot, limitMs: number) => Promise.all(exporters.map((exporter) => pushTo(exporter, mask(snapshot), limitMs)));

  let finalExportStarted = false;
  port.on('message', (message: ToMetricsHost) => {
    if (message.type === 'snapshot') {
      waiting.get(message.id)?.(message.snapshot);
      waiting.delete(message.id);
      return;
    }
    // 'final': the last export, bounded by the deadline the main thread waits for.
    finalExportStarted = true;
    const limitMs = Math.max(1, message.deadline - Date.now() - 20);
    const done = () => {
      Atomics.store(signal, FINAL_EXPORT_DONE_SLOT, message.id);
      Atomics.notify(signal, FINAL_EXPORT_DONE_SLOT);
      post({ type: 'final-done', id: message.id });
    };
    const timer = setTimeout(done, limitMs);
    void pushAll(message.snapshot, limitMs).then(() => {
      clearTimeout(timer);
      done();
    });
  });

  if (exporters.length > 0) {
    const interval = setInterval(() => {
      if (finalExportStarted) return;
      void collect().then((snapshot) => (snapshot === undefined || finalExportStarted ? undefined : pushAll(snapshot, timeoutMs)));
    }, config.metricsExportIntervalMs);
    interval.unref();
  }

  if (config.metricsExporters.includes('prometheus')) startPrometheusEndpoint(config, collect, mask, options.resourceAttributes, logger);
}

function startPrometheusEndpoint(
  config: AgentConfig,
  collect: () => Promise<MetricsSnapshot | undefined>,
  mask: (snapshot: MetricsSnapshot) => MetricsSnapshot,
  resourceAttributes: Promise<MetricAttributes>,
  logger: AgentLogger,
): void {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const openMetrics = wantsOpenMetrics(request.headers.accept);
    void Promise.all([collect(), resourceAttributes]).then(
      ([snapshot, resource]) => {
        if (snapshot === undefined) {
          response.writeHead(503, { 'Content-Type': 'text/plain' }).end('the application did not answer in time\n');
          return;
        }
        const body = renderPrometheus(mask(snapshot), resource, openMetrics);
        response.writeHead(200, { 'Content-Type': openMetrics ? OPENMETRICS_CONTENT_TYPE : CLASSIC_CONTENT_TYPE });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (err) => {
        logger.warnRateLimited('prometheus-scrape', `cannot answer a Prometheus scrape (${errorMessage(err)})`);
        response.writeHead(500).end();
      },
    );
  });
  server.on('error', (err) => {
    logger.error(`cannot serve Prometheus metrics on ${config.prometheusHost}:${config.prometheusPort} (${err.message}); metrics are not scraped`);
  });
  server.listen(config.prometheusPort, config.prometheusHost, () => {
    logger.debug(`Prometheus metrics on http://${config.prometheusHost}:${config.prometheusPort}/metrics`);
  });
}
