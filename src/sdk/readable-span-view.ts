/**
 * SpanRecord -> the ReadableSpan shape upstream exporters read (OTLP transformer, Jaeger transform).
 * Runs in the export worker, where the spans' Resource is built once for the whole process.
 */
import type { SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanContextRecord, SpanRecord } from '../span-record';

function toSpanContext(record: SpanContextRecord, isRemote: boolean): SpanContext {
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    traceFlags: record.traceFlags,
    traceState: record.traceState ? new TraceState(record.traceState) : undefined,
    isRemote,
  };
}

export function toReadableSpan(record: SpanRecord, resource: Resource): ReadableSpan {
  const context = toSpanContext(record.context, false);
  return {
    name: record.name,
    kind: record.kind,
    spanContext: () => context,
    parentSpanContext: record.parentSpanId
      ? { traceId: record.context.traceId, spanId: record.parentSpanId, traceFlags: record.context.traceFlags }
      : undefined,
    startTime: record.startTime,
    endTime: record.endTime,
    duration: record.duration,
    status: record.status,
    attributes: record.attributes,
    links: record.links.map((link) => ({
      context: toSpanContext(link.context, true),
      attributes: link.attributes,
      droppedAttributesCount: link.droppedAttributesCount,
    })),
    events: record.events.map((event) => ({
      name: event.name,
      time: event.time,
      attributes: event.attributes,
      droppedAttributesCount: event.droppedAttributesCount,
    })),
    ended: true,
    resource,
    // The record's own scope object: the records of one hand-off batch share one per scope (span-codec.ts),
    // so the OTLP encoders, which group by scope identity, write each scope once per request, not per span.
    instrumentationScope: record.scope,
    droppedAttributesCount: record.droppedAttributesCount,
    droppedEventsCount: record.droppedEventsCount,
    droppedLinksCount: record.droppedLinksCount,
  };
}
