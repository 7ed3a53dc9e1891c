/** What the report reads off one span; every section uses these so they agree. */
import type { JsonSpan } from '../sdk/json-lines-exporter';
import type { ReportSpan } from './model';

export const UNKNOWN_SERVICE = 'unknown_service';

export function serviceOf(span: JsonSpan): string {
  const name = span.resource['service.name'];
  return typeof name === 'string' && name !== '' ? name : UNKNOWN_SERVICE;
}

/** The operation a span stands for: its `http.route`, else its name. */
export function operationOf(span: Pick<JsonSpan, 'attributes' | 'name'>): string {
  const route = span.attributes['http.route'];
  return typeof route === 'string' && route !== '' ? route : span.name;
}

/** An error is status ERROR or a recorded exception (some handlers record and still answer). */
export function isErrorSpan(span: Pick<JsonSpan, 'status' | 'events'>): boolean {
  return span.status.code === 'ERROR' || span.events.some((event) => event?.name === 'exception');
}

export function statusCodeOf(span: Pick<JsonSpan, 'attributes'>): number | undefined {
  const code = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'];
  const number = typeof code === 'string' ? Number(code) : code;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
}

export interface ExceptionFacts {
  type?: string;
  message?: string;
  timeUnixNano: string;
}

/** The span's first exception event (by position: events are recorded in time order). */
export function firstExceptionOf(span: Pick<JsonSpan, 'events'>): ExceptionFacts | undefined {
  const event = span.events.find((candidate) => candidate?.name === 'exception');
  if (event === undefined) return undefined;
  const attributes = event.attributes ?? {};
  const type = attributes['exception.type'];
  const message = attributes['exception.message'];
  return {
    type: typeof type === 'string' ? type : undefined,
    message: typeof message === 'string' ? message : undefined,
    timeUnixNano: typeof event.timeUnixNano === 'string' ? event.timeUnixNano : '0',
  };
}

/** Who a CLIENT span called, as named when nobody answered with a SERVER span. */
export function peerOf(span: Pick<JsonSpan, 'attributes'>): string {
  const peerService = span.attributes['peer.service'];
  if (typeof peerService === 'string' && peerService !== '') return peerService;
  const address = span.attributes['server.address'] ?? span.attributes['net.peer.name'];
  const port = span.attributes['server.port'] ?? span.attributes['net.peer.port'];
  if (typeof address === 'string' && address !== '') return port === undefined ? address : `${address}:${String(port)}`;
  const url = span.attributes['url.full'];
  if (typeof url === 'string') {
    try {
      return new URL(url).host;
    } catch {
      // not a URL: fall through
    }
  }
  return 'unknown_peer';
}

export function toReportSpan(span: JsonSpan): ReportSpan {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    service: serviceOf(span),
    startTimeUnixNano: span.startTimeUnixNano,
    durationMs: span.durationMs,
    status: span.status.message === undefined ? { code: span.status.code } : { code: span.status.code, message: span.status.message },
    attributes: span.attributes,
    events: span.events,
  };
}
