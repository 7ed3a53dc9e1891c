/**
 * Errors that escape to the process (raw http handlers, timers, unhandled rejections) end as ONE
 * `exception` event on the request's SERVER span, and that span is exported even when the error
 * kills the process.
 *
 * Approach: one `uncaughtExceptionMonitor` listener. Node calls it for every uncaught exception and,
 * under the default `--unhandled-rejections=throw`, for every unhandled rejection no
 * 'unhandledRejection' listener took (origin 'unhandledRejection'), before it decides whether to die.
 * It runs in the async context where the error was thrown or the promise created (verified on Node 20
 * for a throw in a setTimeout and for a rejection after an await inside a request handler), so:
 * - the request's server span is the http instrumentation's RPC metadata in `context.active()`
 *   (the active span itself may be an express layer span below it); without a request, the active span;
 * - the error is recorded there and the span marked ERROR;
 * - if the process is about to die (no 'uncaughtException' listener and no capture callback), the
 *   server span is ENDED, so the 'exit' flush (sdk/exit-hooks.ts) exports it: nothing else would end
 *   it, since its response never finishes.
 * A synchronous throw from a raw http handler has already left the request's context when the monitor
 * runs: instrumentations/http-server/instrumentation.ts notes that context for it (takeHandlerThrow).
 *
 * Why a monitor and nothing else: adding an 'uncaughtException' or 'unhandledRejection' listener changes
 * what Node does (no crash, exit code 0, no stderr report); a monitor only observes. Stderr and the exit
 * code are Node's own: the listener writes nothing and cannot throw.
 *
 * Limitations:
 * - An error thrown where no request context is active (a timer started at startup) has no server span.
 * - `--unhandled-rejections=warn|none|warn-with-error-code` never reach the monitor: not recorded.
 * - Only the server span is ended at a crash; other open spans of that request (express layers, client
 *   calls in flight) are lost with the process, as they would be without this patch.
 */
import { context, trace } from '@opentelemetry/api';
import type { AgentConfig } from '../config/types';
import { recordExceptionOnSpan } from '../errors/record-exception';
import { reportInternalError } from '../safe';
import { serverSpanInContext, takeHandlerThrow } from './request-spans';
import type { AgentPatch, PatchContext } from './types';

let installedListener: ((error: unknown, origin: string) => void) | undefined;

/** Whether Node is about to end the process for the error the monitor is seeing. */
function processWillCrash(): boolean {
  // Both origins go on to emit 'uncaughtException'; a listener there, or a capture callback (domains,
  // REPL), keeps the process alive. Our own monitor is on a different event and does not count.
  return process.listenerCount('uncaughtException') === 0 && !process.hasUncaughtExceptionCaptureCallback();
}

function createMonitor(config: AgentConfig) {
  return function recordUncaughtOnRequestSpan(error: unknown, _origin: string): void {
    try {
      // A raw handler's synchronous throw unwound out of the request's context before reaching Node.
      const handlerThrow = takeHandlerThrow();
      const activeContext = handlerThrow ?? context.active();
      const serverSpan = serverSpanInContext(activeContext);
      const span = serverSpan ?? trace.getSpan(activeContext);
      if (!span) return;
      // Whatever status the error asks for, it escaped the app: the operation failed.
      recordExceptionOnSpan(span, error, { captureStacktrace: config.captureStacktrace, markError: true });
      // Its response will never finish: end the span now (as upstream's http instrumentation did for a
      // handler throw), and for any other error when the process is about to die.
      if (serverSpan && serverSpan.isRecording() && (handlerThrow !== undefined || processWillCrash())) serverSpan.end();
    } catch (err) {
      reportInternalError('uncaught error recording', err);
    }
  };
}

export const processErrorsPatch: AgentPatch = {
  name: 'process-errors',
  isEnabled: (_config: AgentConfig) => true,
  patch({ config }: PatchContext) {
    if (installedListener) return;
    installedListener = createMonitor(config);
    process.on('uncaughtExceptionMonitor', installedListener);
  },
  unpatch() {
    if (!installedListener) return;
    process.removeListener('uncaughtExceptionMonitor', installedListener);
    installedListener = undefined;
  },
};
