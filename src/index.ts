/**
 * Programmatic API, for apps that want more than the zero-code preload:
 *   start()      start the agent from TRACING_* env (what register does); idempotent
 *   shutdown()   flush and stop
 *   getTraceId() the active trace id (32 hex), e.g. for a log line or an error page
 */
import { trace, context, isSpanContextValid } from '@opentelemetry/api';
import { loadConfig } from './config';
import { getRunningAgent, startAgent } from './agent';
import type { RunningAgent } from './agent';
import { createLogger } from './logger';

export type { AgentConfig, LoadedConfig } from './config/types';

export interface StartOptions {
  /** Environment to read instead of process.env. */
  env?: NodeJS.ProcessEnv;
}

export function start(options: StartOptions = {}): RunningAgent | undefined {
  const running = getRunningAgent();
  if (running) return running;
  const loaded = loadConfig({ env: options.env });
  const logger = createLogger(loaded.config.logLevel);
  for (const problem of loaded.problems) logger.warn(problem);
  return startAgent(loaded, logger);
}

export async function shutdown(): Promise<void> {
  await getRunningAgent()?.shutdown();
}

export function getTraceId(): string | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
