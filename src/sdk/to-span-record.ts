/**
 * ReadableSpan -> SpanRecord: the only per-span work the main thread does for export.
 * Copies references to the span's own attribute/event objects; structured clone (postMessage) makes
 * the deep copy, so the app's objects are never touched after this point.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanContext } from '@opentelemetry/api';
import type { SpanContextRecord, SpanRecord } from './span-record';

function toContextRecord(context: SpanContext): SpanContextRecord {
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    traceFlags: context.traceFlags,
    traceState: context.traceState?.serialize() || undefined,
  };
}

export function toSpanRecord(span: ReadableSpan): SpanRecord {
  const scope = span.instrumentationScope;
  return {
    context: toContextRecord(span.spanContext()),
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    endTime: span.endTime,
    duration: span.duration,
    attributes: span.attributes,
    events: span.events.map((event) => ({
      name: event.name,
      time: event.time,
      attributes: event.attributes,
      droppedAttributesCount: event.droppedAttributesCount,
    })),
    links: span.links.map((link) => ({
      context: toContextRecord(link.context),
      attributes: link.attributes,
      droppedAttributesCount: link.droppedAttributesCount,
    })),
    status: span.status,
    scope: { name: scope.name, version: scope.version, schemaUrl: scope.schemaUrl },
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
