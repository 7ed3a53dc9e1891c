/**
 * Flush on every way a Node process ends, without changing how it ends.
 *
 * - 'exit' (normal end, process.exit(n), uncaught exception, unhandled rejection): block until the
 *   export worker has exported what is queued, bounded by TRACING_SHUTDOWN_TIMEOUT_MS. process.exit
 *   is never wrapped, so the exit code is the app's and no code after process.exit() runs.
 * - SIGTERM/SIGINT: listeners are counted when the signal ARRIVES (ours runs first, so every listener
 *   is still there, process.once() ones included). If the app has its own handler, the app decides
 *   (and its eventual exit flushes through 'exit'). If not, flush, remove our listener and re-raise,
 *   so the process still dies by that signal, as it would without the agent. (Upstream's register
 *   keeps the process alive after SIGTERM; we do not copy that.)
 * - signal-exit's listeners are not "the app's handler": see signalExitListeners() below.
 * - An app's handler that removes itself and re-raises (terminus) still dies by the signal: see
 *   onRemoveListener below.
 */
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';
import { endOpenServerSpans } from '../patches/request-spans';
import { safely } from '../safe';
import type { WorkerSpanProcessor } from './worker-span-processor';

const FLUSHED_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * How long the loop is kept alive after the app let go of a signal it handled, for a re-raise to be
 * dispatched (it needs one more poll of the loop, not wall time: this only bounds the wait).
 */
const LET_GO_GRACE_MS = 50;

/** What signal-exit keeps on globals; everything is read defensively (an app may fake or break it). */
interface SignalExitGlobals {
  /** signal-exit 3: one emitter shared by every copy of v3 in the process. */
  v3?: { count?: unknown };
  /** signal-exit 4: one emitter shared by every copy (CJS and ESM builds) of v4. */
  v4?: { count?: unknown };
}

const SIGNAL_EXIT_V4_EMITTER = Symbol.for('signal-exit emitter');

function readSignalExitGlobals(): SignalExitGlobals {
  return {
    v3: (process as unknown as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__,
    v4: (globalThis as unknown as Record<symbol, { count?: unknown } | undefined>)[SIGNAL_EXIT_V4_EMITTER],
  };
}

const countOf = (emitter: { count?: unknown } | undefined): number =>
  emitter && typeof emitter.count === 'number' && Number.isInteger(emitter.count) && emitter.count > 0 ? emitter.count : 0;

/**
 * How many of process.listeners(signal) belong to signal-exit (v3 and v4, every loaded copy).
 *
 * signal-exit (pulled in by write-file-atomic, proper-lockfile, execa, ora, foreground-child, ...) adds
 * one listener per signal for each loaded copy and counts the copies on a global emitter: v3 on
 * `process.__signal_exit_emitter__.count` (`emitter.count += 1` then `process.on(sig, ...)` in load(),
 * https://github.com/tapjs/signal-exit/blob/v3.0.7/index.js#L37-L44 and #L150-L160), v4 on
 * `globalThis[Symbol.for('signal-exit emitter')].count` (signal-exit@4.1.0 dist/cjs/index.js lines
 * 20-46 and 176-187, https://unpkg.com/signal-exit@4.1.0/dist/cjs/index.js). Its listener runs the
 * onExit hooks and re-raises only when `process.listeners(sig).length === count` (v3 line 121: its own
 * count; v4 lines 131-145: its own plus v3's), i.e. only when it is alone. It is no handler of the
 * app's, but it stands back whenever another listener (ours) is there. So we, too, must not count it
 * as the app's: we flush, step aside and re-raise, and signal-exit then finds itself alone, runs its
 * hooks and re-raises the signal the process dies by, as without the agent.
 */
function signalExitListeners(others: number): number {
  const { v3, v4 } = readSignalExitGlobals();
  // Capped at the listeners actually there (the counts are signal-exit's bookkeeping, not ours).
  return Math.min(others, countOf(v3) + countOf(v4));
}

/**
 * Another signal's last export at exit (metrics: metrics/metrics-pipeline.ts): begun before the spans'
 * flush and awaited after it, so both run in the worker at once within the one exit budget.
 */
export interface FinalExport {
  readonly what: string;
  beginFinalExport(deadline: number): void;
  /** Blocks until done or `deadline` (wall-clock ms); false on timeout. */
  awaitFinalExport(deadline: number): boolean;
}

export function installExitHooks(
  processor: WorkerSpanProcessor,
  config: AgentConfig,
  logger: AgentLogger,
  finalExports: readonly FinalExport[] = [],
): () => void {
  const flushBeforeExit = () =>
    safely('flush at exit', undefined, () => {
      // Requests still in flight (process.exit() in a handler, a signal mid-request) end here, or be lost.
      endOpenServerSpans();
      const deadline = Date.now() + config.shutdownTimeoutMs;
      for (const other of finalExports) safely(`final ${other.what} export`, undefined, () => other.beginFinalExport(deadline));
      if (!processor.flushSync(config.shutdownTimeoutMs)) {
        logger.warn(`flushing spans at exit took longer than TRACING_SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; unexported spans were dropped`);
      }
      processor.reportDroppedSpans();
      for (const other of finalExports) {
        if (!safely(`final ${other.what} export`, true, () => other.awaitFinalExport(deadline))) {
          logger.warn(
            `exporting ${other.what} at exit took longer than TRACING_SHUTDOWN_TIMEOUT_MS=${config.shutdownTimeoutMs}; the last ${other.what} were not exported`,
          );
        }
      }
    });

  const onExit = () => flushBeforeExit();
  process.on('exit', onExit);

  // Signals that arrived while the app handled them itself (we stood back), until the app lets go.
  const stoodBackFrom = new Set<string>();
  // An app's handler may finish by removing itself and re-raising the signal to die by it, e.g.
  // @godaddy/terminus (https://github.com/godaddy/terminus/blob/v4.12.1/lib/terminus.js#L149-L151).
  // Bare, that kill is fatal at once. With our listener still there the signal is caught instead and
  // dispatched only on the next loop iteration; if the app's cleanup left nothing that keeps the loop
  // alive (signal listeners do not), the loop ends first and the process exits 0, the signal lost.
  // So when the app lets go of a signal it was handling (its last listener for it removed), a short
  // timer keeps the loop alive into the next iteration: a re-raised signal, already waiting in libuv's
  // signal pipe, then reaches our listener (now alone), which flushes and re-raises it with the default
  // action. Without a re-raise the app's natural exit comes at most LET_GO_GRACE_MS later. (Not a
  // 'beforeExit' listener scheduling one more turn: that emits 'beforeExit' twice to the app's own.)
  const onRemoveListener = (event: string | symbol) => {
    if (typeof event !== 'string' || !stoodBackFrom.has(event)) return;
    const others = process.listenerCount(event) - 1; // all but ours
    if (others > signalExitListeners(others)) return; // the app still handles it
    stoodBackFrom.delete(event);
    setTimeout(() => {}, LET_GO_GRACE_MS);
  };
  process.on('removeListener', onRemoveListener);

  const signalHandlers = FLUSHED_SIGNALS.map((signal) => {
    const onSignal = () => {
      const others = process.listenerCount(signal) - 1; // all but ours
      const signalExit = signalExitListeners(others);
      // A listener that is neither ours nor signal-exit's: the app handles this signal itself.
      if (others > signalExit) {
        stoodBackFrom.add(signal);
        return;
      }
      flushBeforeExit();
      process.removeListener(signal, onSignal);
      if (signalExit === 0) {
        // Alone: with our listener gone the signal's default action applies, and the re-raise kills
        // the process at once ('exit' never fires, hence no second flush).
        process.removeListener('exit', onExit);
        process.kill(process.pid, signal);
        return;
      }
      // Only signal-exit's listeners are left. Whichever order the listeners run in: one of them still
      // to run in this emit now finds itself alone, runs its hooks and re-raises (the process dies
      // there, before our queued signal matters); if they all ran before ours, they saw us and stood
      // back, so the re-raise (caught, since they still listen) reaches them, alone, on the next turn.
      // Our 'exit' listener stays: a v4 onExit hook may return true to keep the process alive (e.g.
      // foreground-child waiting for its child), and whatever ends it later still flushes.
      process.kill(process.pid, signal);
    };
    // In front of the listeners already there (a preload before ours): a process.once() listener is
    // removed before it is called, so one running ahead of ours would be gone from the count and its
    // app killed by our re-raise in the middle of its cleanup. Listeners added later come after ours.
    process.prependListener(signal, onSignal);
    return { signal, onSignal };
  });

  return function uninstallExitHooks() {
    process.removeListener('exit', onExit);
    process.removeListener('removeListener', onRemoveListener);
    for (const { signal, onSignal } of signalHandlers) process.removeListener(signal, onSignal);
  };
}
