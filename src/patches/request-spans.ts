/**
 * Which server span belongs to which incoming request, and which request's handler is throwing.
 *
 * Filled by the http instrumentation's requestHook (see instrumentations/catalog.ts), read by the
 * error-path patches: an express error handler or a response body may run in a context where the
 * active span is a middleware span, or none at all, but `req` (or `res.req`) always leads here.
 * A WeakMap: nothing is kept alive after the request is garbage.
 */
import type { Context, Span } from '@opentelemetry/api';
import type { IncomingMessage } from 'http';

const serverSpans = new WeakMap<IncomingMessage, Span>();

export function rememberServerSpan(request: IncomingMessage, span: Span): void {
  serverSpans.set(request, span);
}

export function serverSpanOf(request: IncomingMessage | undefined | null): Span | undefined {
  return request ? serverSpans.get(request) : undefined;
}

/**
 * The context of the request whose handler is throwing synchronously right now
 * (instrumentations/http-handler-throws.ts). Node runs uncaughtExceptionMonitor before the microtask
 * queue (verified on Node 20 and 24), so the monitor takes it; a throw that some caller catches instead
 * is forgotten at the next microtask and can never be pinned on a later, unrelated error.
 */
let handlerThrowContext: Context | undefined;

export function noteHandlerThrow(requestContext: Context): void {
  handlerThrowContext = requestContext;
  queueMicrotask(() => {
    if (handlerThrowContext === requestContext) handlerThrowContext = undefined;
  });
}

export function takeHandlerThrow(): Context | undefined {
  const taken = handlerThrowContext;
  handlerThrowContext = undefined;
  return taken;
}
