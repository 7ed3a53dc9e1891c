/**
 * The main thread's tracing pipeline: tracer provider, sampler, context manager, W3C propagators.
 *
 * Built from @opentelemetry/sdk-trace's TracerProvider rather than NodeSDK: NodeSDK requires every
 * metrics/logs exporter eagerly (~950 modules, 0.5-1 s), and with exporter `none` it creates no
 * tracer at all, while we must still create and propagate trace context (and put the trace id in
 * error bodies) when nothing is exported.
 */
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';
import type { Sampler } from '@opentelemetry/sdk-trace';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { WorkerSpanProcessor } from './worker-span-processor';
import { ClientErrorTypeProcessor } from '../errors/client-error-type';

export interface TracingPipeline {
  provider: TracerProvider;
  /** Undefined when the only exporter is `none`: spans are created and propagated, never exported. */
  exportProcessor: WorkerSpanProcessor | undefined;
}

function createSampler(rate: number): Sampler {
  const { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler } =
    require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  // Parent-based: an incoming sampled traceparent is honoured, so distributed traces stay whole.
  const root = rate >= 1 ? new AlwaysOnSampler() : rate <= 0 ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(rate);
  return new ParentBasedSampler({ root });
}

export function startTracing(config: AgentConfig, logger: AgentLogger): TracingPipeline {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { TracerProvider } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');

  const exportsSomething = config.exporters.some((name) => name !== 'none');
  const exportProcessor = exportsSomething ? new WorkerSpanProcessor(config, logger) : undefined;
  const provider = new TracerProvider({
    sampler: createSampler(config.sampleRate),
    // The full resource (host, process, SDK) is attached in the export worker; spans only need identity here.
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    // ClientErrorTypeProcessor first: it completes failed client spans before they are handed off.
    spanProcessors: exportProcessor ? [new ClientErrorTypeProcessor(), exportProcessor] : [],
  });

  if (!api.trace.setGlobalTracerProvider(provider)) {
    logger.warn('another OpenTelemetry tracer provider was registered before the agent; the agent keeps its own for the instrumentations it loads');
  }
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  return { provider, exportProcessor };
}
