/**
 * A finished span as plain data: what the main thread hands to the export worker
 * (structured-clone friendly: no functions, no class instances, no bigint).
 * The worker masks it, then rebuilds a ReadableSpan-shaped view for upstream exporters.
 */
import type { Attributes, HrTime, SpanStatus } from '@opentelemetry/api';

export interface SpanContextRecord {
  traceId: string;
  spanId: string;
  traceFlags: number;
  /** W3C tracestate serialized, or undefined. */
  traceState?: string;
}

export interface SpanEventRecord {
  name: string;
  time: HrTime;
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

export interface SpanLinkRecord {
  context: SpanContextRecord;
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

export interface SpanRecord {
  context: SpanContextRecord;
  parentSpanId?: string;
  name: string;
  /** @opentelemetry/api SpanKind numeric value. */
  kind: number;
  startTime: HrTime;
  endTime: HrTime;
  duration: HrTime;
  attributes: Attributes;
  events: SpanEventRecord[];
  links: SpanLinkRecord[];
  status: SpanStatus;
  scope: { name: string; version?: string; schemaUrl?: string };
  droppedAttributesCount: number;
  droppedEventsCount: number;
  droppedLinksCount: number;
}
