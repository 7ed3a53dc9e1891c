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
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { WorkerSpanProcessor } from './worker-span-processor';
import { ClientErrorTypeProcessor } from '../errors/client-error-type';
import { OutcomeKeepingProcessor } from './keep-by-outcome';
import { createPropagator } from './propagators';
import { AgentSampler } from './sampling';
import { ReusableIdGenerator, supportRootDeferral } from './deferred-roots';
import { installLeanSpans } from './lean-span';
import { isMetricsOn } from '../config/metrics-options';
import { errorMessage } from '../error-message';

export interface TracingPipeline {
  provider: TracerProvider;
  /** Undefined when the only exporter is `none`: spans are created and propagated, never exported. */
  exportProcessor: WorkerSpanProcessor | undefined;
  /**
   * The owner of the export worker: the export processor, or with span exporter `none` and metrics on,
   * one that hosts the worker for metrics only (no span ever reaches it). Undefined: no worker at all.
   */
  workerHost: WorkerSpanProcessor | undefined;
  /** Set when TRACING_KEEP_* rules are on and spans are exported. */
  keepingProcessor: OutcomeKeepingProcessor | undefined;
}

export function startTracing(config: AgentConfig, logger: AgentLogger): TracingPipeline {
  const api = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const { TracerProvider } = require('@opentelemetry/sdk-trace') as typeof import('@opentelemetry/sdk-trace');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');

  const exportsSomething = config.exporters.some((name) => name !== 'none');
  const exportProcessor = exportsSomething ? new WorkerSpanProcessor(config, logger) : undefined;
  // Keeping by outcome only when something exports and a TRACING_KEEP_* rule is on: otherwise
  // unsampled spans are never recorded in the first place.
  const keepingProcessor =
    exportProcessor !== undefined && (config.keepErrors || config.keepSlowerThanMs !== undefined)
      ? new OutcomeKeepingProcessor(config, exportProcessor, logger)
      : undefined;
  if (exportProcessor !== undefined && keepingProcessor !== undefined) exportProcessor.keepCounts = keepingProcessor.counts;
  const sampler = new AgentSampler(config, keepingProcessor !== undefined);
  const ids = new ReusableIdGenerator();
  supportRootDeferral(
    keepingProcessor !== undefined
      ? { ids, dropLocalTrace: (traceId) => keepingProcessor.dropLocalTrace(traceId), keepSlowerThanMs: config.keepSlowerThanMs }
      : undefined,
  );
  const provider = new TracerProvider({
    sampler,
    idGenerator: ids,
    spanLimits: {
      attributeValueLengthLimit: config.attributeValueLengthLimit,
      attributeCountLimit: config.attributeCountLimit,
      eventCountLimit: config.eventCountLimit,
      linkCountLimit: config.linkCountLimit,
      attributePerEventCountLimit: config.eventAttributeCountLimit,
      attributePerLinkCountLimit: config.linkAttributeCountLimit,
    },
    // The full resource (host, process, SDK) is attached in the export worker; spans only need identity here.
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    // ClientErrorTypeProcessor first: it completes failed client spans before they are handed off.
    spanProcessors: exportProcessor ? [new ClientErrorTypeProcessor(), keepingProcessor ?? exportProcessor] : [],
  });

  useLeanTracers(provider);

  const contextManager = new AsyncLocalStorageContextManager();
  const propagator = createPropagator(config.propagators);
  if (isRegistered('trace') || isRegistered('context') || isRegistered('propagation')) {
    logger.warn('another OpenTelemetry tracer provider was registered before the agent; the agent keeps its own for the instrumentations it loads');
  }
  // Skipping what is taken avoids the API's "Attempted duplicate registration" diag errors.
  if (!isRegistered('trace')) api.trace.setGlobalTracerProvider(provider);
  if (!isRegistered('context')) api.context.setGlobalContextManager(contextManager.enable());
  if (!isRegistered('propagation')) api.propagation.setGlobalPropagator(propagator);
  keepAgentGlobals(api, { trace: provider, context: contextManager, propagation: propagator }, logger);
  const workerHost = exportProcessor ?? (isMetricsOn(config.metricsExporters) ? new WorkerSpanProcessor(config, logger) : undefined);
  return { provider, exportProcessor, workerHost, keepingProcessor };
}

/** sdk-trace 2.x's per-tracer `otel.sdk.span.*` counters (Tracer.js `_tracerMetrics`), as the SDK calls them. */
type TracerWithSelfMetrics = { _tracerMetrics?: { startSpan?: unknown } };
const NO_SPAN_SELF_METRICS = { startSpan: (): undefined => undefined };

/**
 * Every tracer the provider hands out starts lean spans (lean-span.ts). Where sdk-trace's shape is not
 * the one lean-span.ts ports, the tracer keeps its own startSpan with the self metrics skipped: the
 * provider gets no meterProvider, so sdk-trace counts `otel.sdk.span.started` / `.live` on a no-op
 * meter: nothing is ever recorded, yet each span built two attribute objects and an end closure for
 * it (lean spans never count them). Left alone if a later sdk-trace changes that shape too.
 */
export function useLeanTracers(provider: TracerProvider): void {
  const getTracer = provider.getTracer;
  provider.getTracer = function getLeanTracer(this: TracerProvider, ...args: Parameters<TracerProvider['getTracer']>) {
    const tracer = getTracer.apply(this, args) as ReturnType<TracerProvider['getTracer']> & TracerWithSelfMetrics;
    if (typeof tracer._tracerMetrics?.startSpan === 'function') tracer._tracerMetrics = NO_SPAN_SELF_METRICS;
    installLeanSpans(tracer); // tracers are cached by the provider: the same one again is installed again, harmlessly
    return tracer;
  };
}

type GlobalApiType = 'trace' | 'context' | 'propagation';

/**
 * The API's registry of globals, shared by every copy of @opentelemetry/api 1.x in the process under
 * this key (https://github.com/open-telemetry/opentelemetry-js/blob/main/api/src/internal/global-utils.ts).
 */
function globalApiRegistry(): Partial<Record<GlobalApiType, unknown>> | undefined {
  return (globalThis as Record<symbol, Partial<Record<GlobalApiType, unknown>> | undefined>)[Symbol.for('opentelemetry.js.api.1')];
}

function isRegistered(type: GlobalApiType): boolean {
  return globalApiRegistry()?.[type] !== undefined;
}

/**
 * The agent is preloaded, so it registers first; an app that then starts NodeSDK or calls
 * `NodeTracerProvider.register()` would make the API log "Attempted duplicate registration of API"
 * three times (trace, context, propagation; visible as soon as the app sets a diag logger) and
 * silently keep the agent's globals. The agent's globals win either way (see README "How it
 * behaves"); this makes it explicit: while the agent still owns a global, a later registration
 * through this copy of the API is declined with one `otel-agent:` warning instead of diag errors.
 * Once a global is no longer the agent's (e.g. after `trace.disable()`), registration proceeds as usual.
 */
function keepAgentGlobals(
  api: typeof import('@opentelemetry/api'),
  ours: { trace: TracerProvider; context: object; propagation: object },
  logger: AgentLogger,
): void {
  const stillOurs: Record<GlobalApiType, () => boolean> = {
    trace: () => {
      const global = api.trace.getTracerProvider() as { getDelegate?: () => unknown };
      return isRegistered('trace') && global.getDelegate?.() === ours.trace;
    },
    context: () => globalApiRegistry()?.context === ours.context,
    propagation: () => globalApiRegistry()?.propagation === ours.propagation,
  };
  const declined = () =>
    logger.warnOnce(
      'app-registered-otel-globals',
      'the application registered its own OpenTelemetry tracer provider (NodeSDK.start() or provider.register()); ' +
        'the agent, loaded first, keeps its tracer provider, context manager and propagators: spans from trace.getTracer() ' +
        "are exported by the agent, not by the application's own exporters",
    );
  const wrap = <K extends string>(target: Record<K, (arg: never) => boolean>, method: K, type: GlobalApiType) => {
    const original = target[method];
    if (typeof original !== 'function') return;
    const wrapper = function setGlobal_keepAgentGlobals(this: unknown, instance: never): boolean {
      if (instance !== (ours[type] as never) && stillOurs[type]()) {
        declined();
        return false;
      }
      return original.call(this, instance);
    };
    // An own property on the API's singleton shadows the prototype method.
    Object.defineProperty(target, method, { value: wrapper, configurable: true, writable: true });
  };
  try {
    wrap(api.trace as unknown as Record<'setGlobalTracerProvider', (arg: never) => boolean>, 'setGlobalTracerProvider', 'trace');
    wrap(api.context as unknown as Record<'setGlobalContextManager', (arg: never) => boolean>, 'setGlobalContextManager', 'context');
    wrap(api.propagation as unknown as Record<'setGlobalPropagator', (arg: never) => boolean>, 'setGlobalPropagator', 'propagation');
  } catch (err) {
    logger.debug(`cannot guard the OpenTelemetry API globals (${errorMessage(err)})`);
  }
}
