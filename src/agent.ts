/**
 * config -> tracing pipeline -> instrumentations -> ESM hook -> exit hooks. Idempotent start/stop.
 * Everything heavy is required here, never from register.ts, so TRACING_ENABLED=false loads none of it.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { AgentConfig, LoadedConfig } from './config/types';
import { createLogger } from './logger';
import type { AgentLogger } from './logger';
import { reportInternalError, safely, setSafeLogger } from './safe';
import { installExitHooks } from './sdk/exit-hooks';
import { startTracing } from './sdk/tracing';
import type { TracingPipeline } from './sdk/tracing';
import { createInstrumentation, esmModuleNames } from './instrumentations/catalog';
import { installLazyInstrumentations } from './instrumentations/lazy-loader';
import { planInstrumentations } from './instrumentations/plan';
import { registerEsmLoaderHook, shouldRegisterEsmHook } from './esm';
import { installPatches } from './patches';
import { isMetricsOn } from './config/metrics-options';
import { errorMessage } from './error-message';

export interface RunningAgent {
  readonly loaded: LoadedConfig;
  readonly pipeline: TracingPipeline;
  shutdown(): Promise<void>;
}

/**
 * The running agent is kept on globalThis: `register` runs these modules from the startup bundle
 * (build/agent-bundle.js) while the app's `require('@x/otel-agent')` loads them from build/src/, and
 * both must see one agent (start() returns it, shutdown() stops it).
 */
const RUNNING = Symbol.for('@x/otel-agent.running');
const agentGlobal = globalThis as { [RUNNING]?: RunningAgent };

export function getRunningAgent(): RunningAgent | undefined {
  return agentGlobal[RUNNING];
}

function loadInstrumentations(names: readonly string[], config: AgentConfig, logger: AgentLogger): Instrumentation[] {
  const loaded: Instrumentation[] = [];
  for (const name of names) {
    try {
      loaded.push(createInstrumentation(name, config));
    } catch (err) {
      logger.error(`cannot load instrumentation "${name}" (${errorMessage(err)}); continuing without it`);
    }
  }
  return loaded;
}

/** Starts the agent once per process; later calls return the running instance. */
export function startAgent(loaded: LoadedConfig, logger: AgentLogger = createLogger(loaded.config.logLevel)): RunningAgent | undefined {
  const already = agentGlobal[RUNNING];
  if (already) return already;
  const { config } = loaded;
  if (!config.enabled) return undefined;
  setSafeLogger(logger);

  const pipeline = startTracing(config, logger);
  const plan = planInstrumentations(config.instrumentations);
  const instrumentations = loadInstrumentations(plan.eager, config, logger);
  const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
  const unregisterInstrumentations = registerInstrumentations({ instrumentations, tracerProvider: pipeline.provider });

  const uninstallPatches = installPatches({ config, logger });
  let esmHookInstalled = false;
  if (shouldRegisterEsmHook(config.esmHook)) {
    const include = esmModuleNames(instrumentations, [...plan.lazy.values()].flat());
    if (safely('ESM loader hook', false, () => registerEsmLoaderHook(include))) {
      esmHookInstalled = true;
      logger.debug(`ESM loader hook installed for ${include.join(', ')}`);
    }
  }
  const lazy = safely('lazy instrumentations', undefined, () =>
    installLazyInstrumentations({
      targets: plan.lazy,
      create: (name) => createInstrumentation(name, config),
      tracerProvider: pipeline.provider,
      logger,
      esm: esmHookInstalled,
    }),
  );
  // Metrics only when asked for: otherwise the module never runs and its packages never load.
  const metrics =
    isMetricsOn(config.metricsExporters) && pipeline.workerHost !== undefined
      ? safely('metrics', undefined, () =>
          (require('./metrics/metrics-pipeline') as typeof import('./metrics/metrics-pipeline')).startMetricsPipeline({
            config,
            worker: pipeline.workerHost!,
            spansExported: pipeline.exportProcessor !== undefined,
            keeping: pipeline.keepingProcessor,
            logger,
          }),
        )
      : undefined;
  const finalExports =
    metrics !== undefined ? [{ what: 'metrics', beginFinalExport: metrics.beginFinalExport, awaitFinalExport: metrics.awaitFinalExport }] : [];
  const uninstallExitHooks = pipeline.workerHost ? installExitHooks(pipeline.workerHost, config, logger, finalExports) : () => {};

  logger.info(
    `tracing service "${config.serviceName}" with ${plan.eager.join(', ') || 'no instrumentation'}${plan.lazy.size > 0 ? ` (${[...plan.lazy.keys()].join(', ')} when their module loads)` : ''}; exporting to ${config.exporters.join(', ')} at ${Math.round(config.sampleRate * 100)}% sampling${metrics !== undefined ? `; metrics to ${config.metricsExporters.join(', ')}` : ''}`,
  );

  const running: RunningAgent = {
    loaded,
    pipeline,
    async shutdown() {
      if (agentGlobal[RUNNING] !== this) return;
      agentGlobal[RUNNING] = undefined;
      try {
        uninstallExitHooks();
        uninstallPatches();
        unregisterInstrumentations();
        lazy?.uninstall();
        await metrics?.shutdown();
        await pipeline.provider.shutdown();
        if (pipeline.workerHost !== pipeline.exportProcessor) await pipeline.workerHost?.shutdown();
      } catch (err) {
        reportInternalError('shutdown', err);
      }
    },
  };
  agentGlobal[RUNNING] = running;
  return running;
}
