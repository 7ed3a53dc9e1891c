/**
 * ReadableSpan -> SpanRecord, the worker-side shape of a span. The hand-off itself writes spans with
 * span-codec.ts, whose decoder yields exactly what this function gives (its round-trip test compares
 * against it): this is the reference for that shape. Copies references to the span's own objects.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanContext } from '@opentelemetry/api';
import type { SpanContextRecord, SpanRecord } from '../span-record';

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
