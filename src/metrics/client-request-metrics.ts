/**
 * http.client.request.duration for every outgoing request, sampled or not, from Node's
 * diagnostics_channel, whichever instrumentation (if any) makes client spans:
 * - node:http: 'http.client.request.start' (Node >= 20.6), 'http.client.response.finish' (published when
 *   the response's headers are parsed, despite its name), 'http.client.request.error' (Node 20.x later
 *   releases, 22, 24); a request that closes with neither (older Node without the error channel) counts
 *   as failed with error.type _OTHER.
 * - undici (fetch): 'undici:request:create', 'undici:request:headers', 'undici:request:error'.
 * The duration runs until the response headers arrive (or the failure): the body is the app's to read,
 * and an unread body would otherwise never end the measurement.
 *
 * The exemplar names the span active when the request started: the client span when the http
 * instrumentation made one (it starts the request in that span's context), else its parent, in the
 * same trace. Unsubscribing is the uninstall; channel objects are kept so they are not collected.
 */
import * as diagnosticsChannel from 'diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'http';
import { context, trace } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import { reportInternalError } from '../safe';
import type { DurationHistogram } from './duration-histogram';
import type { ExportedTraceExemplars } from './exported-trace-exemplars';
import { clientErrorType, metricMethod } from './http-attributes';
import type { MetricAttributes } from './snapshot';

interface InFlight {
  start: number;
  method: string;
  scheme: string;
  address: string;
  port: number;
  spanContext: SpanContext | undefined;
  done: boolean;
}

/** The parts of undici's Request the channels give (https://github.com/nodejs/undici/blob/main/docs/docs/api/DiagnosticsChannel.md). */
interface UndiciRequest {
  origin?: string | URL;
  method?: string;
}

function recorder(duration: DurationHistogram, exemplars: ExportedTraceExemplars) {
  return function recordClientRequest(flight: InFlight, status: number | undefined, errorType: string | undefined, version: string | undefined): void {
    if (flight.done) return;
    flight.done = true;
    const seconds = (performance.now() - flight.start) / 1000;
    if (errorType === undefined && status !== undefined && status >= 400) errorType = String(status);
    const node = duration.root.at(flight.method).at(flight.scheme).at(flight.address).at(flight.port).at(status).at(errorType).at(version);
    let series = node.series;
    if (series === undefined) {
      const attributes: MetricAttributes = {
        'http.request.method': flight.method,
        'server.address': flight.address,
        'server.port': flight.port,
        'url.scheme': flight.scheme,
      };
      if (status !== undefined) attributes['http.response.status_code'] = status;
      if (errorType !== undefined) attributes['error.type'] = errorType;
      if (version !== undefined) attributes['network.protocol.version'] = version;
      series = duration.createSeries(node, attributes);
    }
    exemplars.offer(series, duration.add(series, seconds), flight.spanContext, seconds, errorType !== undefined);
  };
}

function startFlight(method: string | undefined, scheme: string, address: string, port: number): InFlight {
  return { start: performance.now(), method: metricMethod(method), scheme, address, port, spanContext: trace.getSpanContext(context.active()), done: false };
}

/** Host and port from a ClientRequest: its `host`, and the port of its Host header (else the scheme's default). */
function httpTarget(request: ClientRequest): { scheme: string; address: string; port: number } {
  const scheme = request.protocol === 'https:' ? 'https' : 'http';
  const hostHeader = request.getHeader('host');
  const match = typeof hostHeader === 'string' ? /:(\d{1,5})$/.exec(hostHeader) : null;
  return { scheme, address: request.host ?? 'localhost', port: match ? Number(match[1]) : scheme === 'https' ? 443 : 80 };
}

export function installClientRequestMetrics(duration: DurationHistogram, exemplars: ExportedTraceExemplars): () => void {
  const record = recorder(duration, exemplars);
  const httpFlights = new WeakMap<ClientRequest, InFlight>();
  const undiciFlights = new WeakMap<object, InFlight>();
  const guarded = <T>(site: string, handler: (message: T) => void) =>
    function onClientChannelMessage(message: unknown): void {
      try {
        handler(message as T);
      } catch (err) {
        reportInternalError(site, err);
      }
    };

  const subscriptions: [string, (message: unknown) => void][] = [
    [
      'http.client.request.start',
      guarded<{ request: ClientRequest }>('client request metrics', ({ request }) => {
        const { scheme, address, port } = httpTarget(request);
        const flight = startFlight(request.method, scheme, address, port);
        httpFlights.set(request, flight);
        // 'close' is safe to listen to ('error' is not: a listener would swallow the app's unhandled error).
        request.once('close', () => record(flight, undefined, '_OTHER', undefined));
      }),
    ],
    [
      'http.client.response.finish',
      guarded<{ request: ClientRequest; response: IncomingMessage }>('client request metrics', ({ request, response }) => {
        const flight = httpFlights.get(request);
        if (flight !== undefined) record(flight, response.statusCode, undefined, response.httpVersion);
      }),
    ],
    [
      'http.client.request.error',
      guarded<{ request: ClientRequest; error: unknown }>('client request metrics', ({ request, error }) => {
        const flight = httpFlights.get(request);
        if (flight !== undefined) record(flight, undefined, clientErrorType(error), undefined);
      }),
    ],
    [
      'undici:request:create',
      guarded<{ request: UndiciRequest }>('fetch request metrics', ({ request }) => {
        const origin = new URL(String(request.origin));
        const scheme = origin.protocol === 'https:' ? 'https' : 'http';
        const port = origin.port !== '' ? Number(origin.port) : scheme === 'https' ? 443 : 80;
        undiciFlights.set(request, startFlight(request.method, scheme, origin.hostname, port));
      }),
    ],
    [
      'undici:request:headers',
      guarded<{ request: object; response: { statusCode?: number } }>('fetch request metrics', ({ request, response }) => {
        const flight = undiciFlights.get(request);
        if (flight !== undefined) record(flight, response.statusCode, undefined, undefined);
      }),
    ],
    [
      'undici:request:error',
      guarded<{ request: object; error: unknown }>('fetch request metrics', ({ request, error }) => {
        const flight = undiciFlights.get(request);
        if (flight !== undefined) record(flight, undefined, clientErrorType(error), undefined);
      }),
    ],
  ];
  for (const [name, handler] of subscriptions) diagnosticsChannel.subscribe(name, handler);
  return function uninstallClientRequestMetrics() {
    for (const [name, handler] of subscriptions) diagnosticsChannel.unsubscribe(name, handler);
  };
}
