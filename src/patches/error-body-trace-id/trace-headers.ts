/**
 * The response-header form of the trace id (TRACING_RESPONSE_HEADER): `traceparent` and `trace` metrics in
 * Server-Timing, the first as RUM agents read it, the second as in the W3C Trace Context Level 3
 * editors' draft (https://github.com/w3c/trace-context/blob/main/spec/21-http_response_header_format.md):
 *   server-timing: traceparent;desc="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", trace;desc=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
 * Browsers only show Server-Timing to cross-origin scripts listed in Access-Control-Expose-Headers.
 */
import type { SpanContext } from '@opentelemetry/api';

export const SERVER_TIMING = 'Server-Timing';
export const EXPOSE_HEADERS = 'Access-Control-Expose-Headers';

/**
 * Two metrics with the same traceparent value: `traceparent;desc="00-…"`, the form Splunk RUM and
 * Grafana Faro read (quoted, as they send it), and `trace;desc=00-…`, the W3C editors' draft's.
 */
export function serverTimingEntry(spanContext: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  const traceparent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  return `traceparent;desc="${traceparent}", trace;desc=${traceparent}`;
}

function headerText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value))
    return value
      .map((item) => String(item).trim())
      .filter((item) => item !== '')
      .join(', ');
  return String(value).trim();
}

/** An existing Server-Timing value (string, number or list) with `entry` appended after ", ". */
export function appendServerTiming(existing: unknown, entry: string): string {
  const current = headerText(existing);
  if (current === '') return entry;
  return current.includes(entry) ? current : `${current}, ${entry}`;
}

/** An existing Access-Control-Expose-Headers value with `name` appended unless already listed. */
export function appendExposedHeader(existing: unknown, name: string): string {
  const current = headerText(existing);
  const wanted = name.toLowerCase();
  if (current.split(',').some((token) => token.trim().toLowerCase() === wanted)) return current;
  return current === '' ? name : `${current}, ${name}`;
}
