/**
 * A throw from a raw http request handler reaches Node exactly as it would without the agent.
 *
 * Why: upstream's instrumentation-http calls the app's 'request' listeners inside
 * `safeExecuteInTheMiddle` (try/catch, then `throw error` again), which
 * - swallows a falsy thrown value (`throw null`, `throw undefined`, `throw 0`, `throw ''`): it rethrows
 *   only truthy errors, so the process lives on and the request never gets an answer;
 * - reads `error.message`/`error.name` in that catch (setSpanWithError): a throwing getter replaces the
 *   app's error with the getter's;
 * - rethrows from its own line, so Node's fatal-error report points at the instrumentation, not the app
 *   (V8 takes the report's location from the last `throw` site).
 * (@opentelemetry/instrumentation-http build/src/http.js `incomingRequest`, and
 * @opentelemetry/instrumentation build/src/utils.js `safeExecuteInTheMiddle`.)
 *
 * Approach: keep every piece of upstream's incoming-request logic (span, attributes, context, hooks,
 * response listeners) and only move the call of the app's listeners out of its try/catch. Upstream's
 * wrapper is built around a stand-in `original` that records the context upstream prepared (server
 * span, RPC metadata, bound request and response) instead of calling the app; the app's listeners then
 * run in that same context under a try/finally, which lets any thrown value propagate untouched. When
 * one does, the request's context is noted for the agent's uncaughtExceptionMonitor
 * (patches/process-errors.ts), which records the value on the server span and ends it, as upstream did.
 *
 * Limitations: a throw caught by a caller of `server.emit('request')` itself (not Node) leaves no
 * exception event; the span still ends with the response.
 */
import { context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { noteHandlerThrow } from '../patches/request-spans';

type EmitFunction = (this: unknown, event: string, ...args: unknown[]) => boolean;
type IncomingRequestFactory = (this: unknown, component: 'http' | 'https', original: EmitFunction) => EmitFunction;
interface WithIncomingRequestFunction {
  _incomingRequestFunction?: IncomingRequestFactory;
}

/** Replaces the instrumentation's incoming-request factory (a method upstream calls per module, http and https). */
export function keepHandlerThrowsUncaught(instrumentation: object): void {
  const target = instrumentation as WithIncomingRequestFunction;
  const upstreamFactory = target._incomingRequestFunction;
  if (typeof upstreamFactory !== 'function') throw new Error('instrumentation-http has no _incomingRequestFunction');
  target._incomingRequestFunction = function incomingRequestFunction(this: unknown, component, original) {
    let prepared: Context | undefined;
    const recordPreparedContext: EmitFunction = function recordPreparedContext() {
      prepared = context.active();
      return true;
    };
    const startRequestSpan = upstreamFactory.call(this, component, recordPreparedContext);
    return function incomingRequest(this: unknown, event: string) {
      if (event !== 'request') return Reflect.apply(original, this, arguments);
      prepared = undefined;
      try {
        Reflect.apply(startRequestSpan, this, arguments);
      } catch {
        prepared = undefined; // upstream failed before the app ran: the app runs as if uninstrumented
      }
      const requestContext = prepared;
      prepared = undefined;
      if (requestContext === undefined) return Reflect.apply(original, this, arguments);
      return emitInContext(requestContext, original, this, arguments);
    };
  };
}

function emitInContext(requestContext: Context, original: EmitFunction, server: unknown, args: IArguments): boolean {
  // try/finally without catch: the thrown value, and the location Node reports for it, stay the app's.
  let threw = true;
  try {
    const result = context.with(requestContext, () => Reflect.apply(original, server, args) as boolean);
    threw = false;
    return result;
  } finally {
    if (threw) noteHandlerThrow(requestContext);
  }
}
