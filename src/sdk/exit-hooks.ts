/**
 * Flush on every way a Node process ends, without changing how it ends.
 *
 * - 'exit' (normal end, process.exit(n), uncaught exception, unhandled rejection): block until the
 *   export worker has exported what is queued, bounded by TRACING_SHUTDOWN_TIMEOUT_MS. process.exit
 *   is never wrapped, so the exit code is the app's and no code after process.exit() runs.
 * - SIGTERM/SIGINT: listeners are counted when the signal ARRIVES. If the app has its own handler,
 *   the app decides (and its eventual exit flushes through 'exit'). If not, flush, remove our
 *   listener and re-raise, so the process still dies by that signal, as it would without the agent.
 *   (Upstream's register keeps the process alive after SIGTERM; we do not copy that.)
 */
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';
import { endOpenServerSpans } from '../patches/request-spans';
import { safely } from '../safe';
import type { WorkerSpanProcessor } from './worker-span-processor';

const FLUSHED_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

export function installExitHooks(processor: WorkerSpanProcessor, config: AgentConfig, logger: AgentLogger): () => void {
  const flushBeforeExit = () =>
    safely('flush at exit', undefined, () => {
      // Requests still in flight (process.exit() in a handler, a signal mid-request) end here, or be lost.
      endOpenServerSpans();
      if (!processor.flushSync(config.shutdownTimeoutMs)) {
        logger.warn(`flushing spans at exit took longer than TRACING_SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; unexported spans were dropped`);
      }
      processor.reportDroppedSpans();
    });

  const onExit = () => flushBeforeExit();
  process.on('exit', onExit);

  const signalHandlers = FLUSHED_SIGNALS.map((signal) => {
    const onSignal = () => {
      // Our own listener counts as one: more means the app handles this signal itself.
      if (process.listenerCount(signal) > 1) return;
      flushBeforeExit();
      process.removeListener(signal, onSignal);
      process.removeListener('exit', onExit);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
    return { signal, onSignal };
  });

  return function uninstallExitHooks() {
    process.removeListener('exit', onExit);
    for (const { signal, onSignal } of signalHandlers) process.removeListener(signal, onSignal);
  };
}
