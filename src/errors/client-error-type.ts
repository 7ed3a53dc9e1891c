/**
 * `error.type` on CLIENT spans that failed, where the instrumentation recorded the exception but not
 * the attribute.
 *
 * Why: the HTTP semantic conventions make `error.type` conditionally required on a client span whose
 * request failed. @opentelemetry/instrumentation-undici (~0.32, which also traces global fetch) records
 * the exception event and status ERROR on a refused, reset or timed-out request, but writes `error.type`
 * only into its metric attributes, after `span.end()` (build/src/undici.js `onError`). instrumentation-http
 * sets it (to `error.name`) before ending, so its spans are left as they are.
 *
 * Approach: a SpanProcessor whose `onEnding` (called by the SDK while the span can still be written,
 * just before it becomes read-only) copies the `exception.type` of the span's last exception event to
 * `error.type`, for a CLIENT span with status ERROR and no `error.type` yet. `exception.type` is what
 * the SDK's `recordException` wrote: the error's `code` when it has one (`ECONNREFUSED`,
 * `UND_ERR_SOCKET`), else its name. A purely numeric one is a DOMException's legacy code (an aborted
 * or timed-out fetch): it is mapped back to the DOMException name.
 *
 * Limitations: the error object itself is gone by then, only the event remains. Must be listed in the
 * provider's spanProcessors before any exporting processor (src/sdk/tracing.ts), so the attribute is
 * set before onEnd hands the span to the exporter.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { reportInternalError } from '../safe';

/** DOMException legacy codes an HTTP client failure can carry (WebIDL: ABORT_ERR, TIMEOUT_ERR). */
const DOM_EXCEPTION_NAMES: Record<string, string> = { '20': 'AbortError', '23': 'TimeoutError' };

/** The `error.type` a failed client span should carry, from its last exception event; undefined when none applies. */
export function clientErrorTypeOf(span: Pick<ReadableSpan, 'kind' | 'status' | 'attributes' | 'events'>): string | undefined {
  if (span.kind !== SpanKind.CLIENT || span.status.code !== SpanStatusCode.ERROR) return undefined;
  if (span.attributes['error.type'] !== undefined) return undefined;
  for (let index = span.events.length - 1; index >= 0; index--) {
    const event = span.events[index];
    if (event.name !== 'exception') continue;
    const type = event.attributes?.['exception.type'];
    if (typeof type !== 'string' || type.length === 0) return undefined;
    return /^\d+$/.test(type) ? (DOM_EXCEPTION_NAMES[type] ?? type) : type;
  }
  return undefined;
}

export class ClientErrorTypeProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    try {
      const errorType = clientErrorTypeOf(span);
      if (errorType !== undefined) span.setAttribute('error.type', errorType);
    } catch (err) {
      reportInternalError('client error.type', err);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
