/**
 * The span whose trace id a response carries (in its JSON error body, in its Server-Timing header):
 * the request's server span, else the active one. Non-recording (unsampled) spans have valid ids too:
 * the client gets a trace id either way.
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { ServerResponse } from 'http';
import { serverSpanOf } from './request-spans';

export function spanOfResponse(res: ServerResponse): Span | undefined {
  const server = serverSpanOf(res.req);
  if (server !== undefined && isSpanContextValid(server.spanContext())) return server;
  const active = trace.getSpan(context.active());
  return active !== undefined && isSpanContextValid(active.spanContext()) ? active : undefined;
}
