/**
 * http.server.request.duration and http.server.active_requests for every incoming request, sampled or
 * not: fed by request-spans.ts's observer, which the http instrumentation calls at the start of each
 * request in its context (see patches/request-spans.ts).
 *
 * The duration runs from that call to the response's 'close' (which Node emits for every response,
 * finished or aborted, keep-alive or not). http.route is read at the end, once the framework has
 * routed the request; a request no framework routed has no http.route (never its raw path).
 */
import type { ServerResponse } from 'http';
import type { TLSSocket } from 'tls';
import type { Span } from '@opentelemetry/api';
import type { RPCMetadata } from '@opentelemetry/core';
import type { ServerRequestObserver } from '../patches/request-spans';
import type { DurationHistogram, UpDownCounter } from './duration-histogram';
import type { ExportedTraceExemplars } from './exported-trace-exemplars';
import { metricMethod } from './http-attributes';
import type { MetricAttributes } from './snapshot';

function serverAttributes(
  method: string,
  scheme: string,
  version: string,
  route: string | undefined,
  status: number | undefined,
  errorType: string | undefined,
): MetricAttributes {
  const attributes: MetricAttributes = { 'http.request.method': method, 'url.scheme': scheme, 'network.protocol.version': version };
  if (route !== undefined) attributes['http.route'] = route;
  if (status !== undefined) attributes['http.response.status_code'] = status;
  if (errorType !== undefined) attributes['error.type'] = errorType;
  return attributes;
}

export function createServerRequestObserver(duration: DurationHistogram, active: UpDownCounter, exemplars: ExportedTraceExemplars): ServerRequestObserver {
  return function recordServerRequest(span: Span, response: ServerResponse, rpc: RPCMetadata | undefined): void {
    const start = performance.now();
    const request = response.req;
    const method = metricMethod(request?.method);
    const scheme = (request?.socket as TLSSocket | undefined)?.encrypted === true ? 'https' : 'http';
    const activeEntry = active.entry(method, scheme);
    if (activeEntry !== undefined) activeEntry.value++;
    // 'close' comes once per response; `on` spares the wrapper `once` allocates.
    response.on('close', function recordServerRequestEnd() {
      const seconds = (performance.now() - start) / 1000;
      if (activeEntry !== undefined) activeEntry.value--;
      const status = response.headersSent ? response.statusCode : undefined;
      // Closed before the response was complete: the client went away or the app destroyed the socket.
      const errorType = !response.writableFinished ? 'aborted' : status !== undefined && status >= 500 ? String(status) : undefined;
      const route = rpc?.route;
      const version = request?.httpVersion ?? '1.1';
      const node = duration.root.at(method).at(scheme).at(version).at(route).at(status).at(errorType);
      const series = node.series ?? duration.createSeries(node, serverAttributes(method, scheme, version, route, status, errorType));
      exemplars.offer(series, duration.add(series, seconds), span.spanContext(), seconds, errorType !== undefined);
    });
  };
}
