/**
 * Which server span belongs to which incoming request.
 *
 * Filled by the http instrumentation's requestHook (see instrumentations/catalog.ts), read by the
 * error-path patches: an express error handler or a response body may run in a context where the
 * active span is a middleware span, or none at all, but `req` (or `res.req`) always leads here.
 * A WeakMap: nothing is kept alive after the request is garbage.
 */
import type { Span } from '@opentelemetry/api';
import type { IncomingMessage } from 'http';

const serverSpans = new WeakMap<IncomingMessage, Span>();

export function rememberServerSpan(request: IncomingMessage, span: Span): void {
  serverSpans.set(request, span);
}

export function serverSpanOf(request: IncomingMessage | undefined | null): Span | undefined {
  return request ? serverSpans.get(request) : undefined;
}
