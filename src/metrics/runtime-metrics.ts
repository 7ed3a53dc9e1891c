/**
 * Runtime metrics (event loop delay and utilization, heap spaces, GC durations) from upstream's
 * @opentelemetry/instrumentation-runtime-node, through an sdk-metrics MeterProvider whose only reader
 * is collected when the agent takes a snapshot (a scrape, an OTLP export). Converted to our plain
 * snapshot form so every exporter handles them like the HTTP metrics. Loaded only when metrics are on.
 */
import type { AgentLogger } from '../logger';
import type { MetricAttributes, MetricSnapshot } from './snapshot';
import { errorMessage } from '../error-message';

export interface RuntimeMetrics {
  /** The runtime metrics as of now; the last collected ones if collection fails. */
  collect(): Promise<MetricSnapshot[]>;
  /** The last collected ones, for the final export at exit, where nothing can be awaited. */
  readonly last: MetricSnapshot[];
  stop(): void;
}

function attributesKey(attributes: MetricAttributes): string {
  return JSON.stringify(attributes);
}

export function startRuntimeMetrics(logger: AgentLogger): RuntimeMetrics | undefined {
  try {
    const sdk = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const { RuntimeNodeInstrumentation } =
      require('@opentelemetry/instrumentation-runtime-node') as typeof import('@opentelemetry/instrumentation-runtime-node');

    class CollectedOnDemand extends sdk.MetricReader {
      protected onForceFlush(): Promise<void> {
        return Promise.resolve();
      }
      protected onShutdown(): Promise<void> {
        return Promise.resolve();
      }
    }
    const reader = new CollectedOnDemand();
    const provider = new sdk.MeterProvider({ readers: [reader] });
    // The event loop delay is sampled every 50 ms (upstream's default is 10 ms): its collector reports
    // nothing for a collection with fewer than 5 samples and resets after each, so the sampling must
    // be finer than a 1 s scrape by far, but need not wake the loop 100 times a second.
    const instrumentation = new RuntimeNodeInstrumentation({ monitoringPrecision: 50 });
    instrumentation.setMeterProvider(provider);
    instrumentation.enable();

    let last: MetricSnapshot[] = [];
    const convert = (result: Awaited<ReturnType<typeof reader.collect>>): MetricSnapshot[] => {
      const out: MetricSnapshot[] = [];
      for (const scopeMetrics of result.resourceMetrics.scopeMetrics) {
        const scope = scopeMetrics.scope.name;
        for (const metric of scopeMetrics.metrics) {
          const { name, description, unit } = metric.descriptor;
          if (metric.dataPointType === sdk.DataPointType.HISTOGRAM) {
            out.push({
              kind: 'histogram',
              name,
              description,
              unit,
              scope,
              bounds: metric.dataPoints[0]?.value.buckets.boundaries ?? [],
              points: metric.dataPoints.map((point) => ({
                key: attributesKey(point.attributes as MetricAttributes),
                attributes: point.attributes as MetricAttributes,
                count: point.value.count,
                sum: point.value.sum ?? 0,
                min: point.value.min ?? 0,
                max: point.value.max ?? 0,
                bucketCounts: point.value.buckets.counts,
                exemplars: point.value.buckets.counts.map(() => null),
              })),
            });
          } else if (metric.dataPointType === sdk.DataPointType.GAUGE || metric.dataPointType === sdk.DataPointType.SUM) {
            out.push({
              kind: metric.dataPointType === sdk.DataPointType.GAUGE ? 'gauge' : 'sum',
              monotonic: metric.dataPointType === sdk.DataPointType.SUM && metric.isMonotonic,
              name,
              description,
              unit,
              scope,
              points: metric.dataPoints.map((point) => ({
                key: attributesKey(point.attributes as MetricAttributes),
                attributes: point.attributes as MetricAttributes,
                value: point.value,
              })),
            });
          }
        }
      }
      return out;
    };
    return {
      async collect() {
        try {
          last = convert(await reader.collect());
        } catch (err) {
          logger.warnOnce('runtime-metrics-collect', `cannot collect runtime metrics (${errorMessage(err)})`);
        }
        return last;
      },
      get last() {
        return last;
      },
      stop() {
        instrumentation.disable();
        void provider.shutdown().catch(() => {});
      },
    };
  } catch (err) {
    logger.warn(`cannot start runtime metrics (${errorMessage(err)}); HTTP metrics continue without them`);
    return undefined;
  }
}
