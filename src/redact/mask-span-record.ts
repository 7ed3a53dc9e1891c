/**
 * Masks a finished span (SpanRecord) before any exporter sees it: its name, attributes, events'
 * names and attributes, status message, links' attributes, and the W3C tracestate of its context and
 * of its links (the incoming `tracestate` header is copied onto every span of the trace, and any
 * client can put anything in it). Ids, times, kind, scope and counters carry no user data and are
 * copied as they are.
 *
 * Runs on every span in the export path, so it never throws, whatever the span looks like:
 * - an attribute whose masking throws is dropped (counted in droppedAttributesCount), never exported raw;
 * - a name or event name whose masking throws becomes `***`; a status message is dropped;
 * - a field that is missing or of the wrong type is kept as it is when it holds no text, else emptied.
 * The input is never mutated: the result is a new object (sharing only the untouched fields).
 *
 * A new SpanRecord field that can hold user text must be masked here: unknown fields are copied as they are.
 */
import type { Attributes } from '@opentelemetry/api';
import type { SpanContextRecord, SpanEventRecord, SpanLinkRecord, SpanRecord } from '../span-record';
import { MASK } from './detector';
import type { MaskingPolicy } from './types';

export function maskSpanRecord(policy: MaskingPolicy, span: SpanRecord): SpanRecord {
  if (span === null || typeof span !== 'object') return span;
  let masked: SpanRecord;
  try {
    masked = { ...span };
  } catch {
    masked = {} as SpanRecord; // a throwing Proxy: build the record from the fields that can be read
    for (const field of ['context', 'parentSpanId', 'kind', 'startTime', 'endTime', 'duration', 'scope', 'droppedEventsCount', 'droppedLinksCount'] as const) {
      (masked as unknown as Record<string, unknown>)[field] = readField(span, field);
    }
  }
  masked.name = maskTextOr(policy, readField(span, 'name'), MASK) as string;
  masked.context = maskSpanContext(policy, readField(span, 'context'));

  const attributes = maskAttributeSet(policy, readField(span, 'attributes'), readField(span, 'kind'));
  masked.attributes = attributes.attributes ?? {};
  masked.droppedAttributesCount = addDropped(readField(span, 'droppedAttributesCount'), attributes.dropped);

  const events = readField(span, 'events');
  masked.events = Array.isArray(events) ? mapSafely(events, (event) => maskEvent(policy, event)) : [];
  const links = readField(span, 'links');
  masked.links = Array.isArray(links) ? mapSafely(links, (link) => maskLink(policy, link)) : [];

  const status = readField(span, 'status');
  if (status !== null && typeof status === 'object') {
    const message = readField(status, 'message');
    masked.status = { code: readField(status, 'code') };
    if (message !== undefined) {
      const maskedMessage = maskTextOr(policy, message, undefined);
      if (maskedMessage !== undefined) masked.status.message = maskedMessage as string;
    }
  }
  return masked;
}

function maskEvent(policy: MaskingPolicy, event: SpanEventRecord): SpanEventRecord {
  const masked: SpanEventRecord = { ...event, name: maskTextOr(policy, readField(event, 'name'), MASK) as string };
  const eventAttributes = readField(event, 'attributes');
  if (eventAttributes !== undefined) {
    const attributes = maskAttributeSet(policy, eventAttributes);
    masked.attributes = attributes.attributes;
    if (attributes.dropped > 0) masked.droppedAttributesCount = addDropped(readField(event, 'droppedAttributesCount'), attributes.dropped);
  }
  return masked;
}

function maskLink(policy: MaskingPolicy, link: SpanLinkRecord): SpanLinkRecord {
  const masked: SpanLinkRecord = { ...link, context: maskSpanContext(policy, readField(link, 'context')) };
  const linkAttributes = readField(link, 'attributes');
  if (linkAttributes !== undefined) {
    const attributes = maskAttributeSet(policy, linkAttributes);
    masked.attributes = attributes.attributes;
    if (attributes.dropped > 0) masked.droppedAttributesCount = addDropped(readField(link, 'droppedAttributesCount'), attributes.dropped);
  }
  return masked;
}

/**
 * The policy's maskAttributes on the whole set; if that throws, one attribute at a time, dropping
 * each one whose masking throws.
 */
function maskAttributeSet(policy: MaskingPolicy, attributes: unknown, spanKind?: number): { attributes: Attributes | undefined; dropped: number } {
  if (attributes === undefined || attributes === null) return { attributes: undefined, dropped: 0 };
  if (typeof attributes !== 'object' || Array.isArray(attributes)) return { attributes: {}, dropped: 1 };
  const input = attributes as Attributes;
  try {
    const masked = policy.maskAttributes(input, spanKind);
    if (masked !== null && typeof masked === 'object') return { attributes: masked, dropped: masked === input ? 0 : countDropped(input, masked) };
  } catch {
    // fall through to one attribute at a time
  }
  const masked: Attributes = {};
  let dropped = 0;
  let keys: string[];
  try {
    keys = Object.keys(input);
  } catch {
    return { attributes: {}, dropped: 0 };
  }
  for (const key of keys) {
    try {
      const one = policy.maskAttributes({ [key]: input[key] }, spanKind);
      if (Object.prototype.hasOwnProperty.call(one, key)) masked[key] = one[key];
      else dropped++;
    } catch {
      dropped++;
    }
  }
  return { attributes: masked, dropped };
}

/**
 * Attributes the policy left out. By count, not by name: a key the policy masked
 * (`notify.frank@example.com` -> `notify.f***@example.com`) is renamed, not dropped.
 */
function countDropped(input: Attributes, masked: Attributes): number {
  return Math.max(0, Object.keys(input).length - Object.keys(masked).length);
}

function maskTextOr(policy: MaskingPolicy, value: unknown, onFailure: string | undefined): unknown {
  if (typeof value !== 'string') return value;
  try {
    const masked = policy.maskString(value);
    return typeof masked === 'string' ? masked : onFailure;
  } catch {
    return onFailure;
  }
}

function mapSafely<T>(values: readonly T[], mask: (value: T) => T): T[] {
  const out: T[] = [];
  for (const value of values) {
    if (value === null || typeof value !== 'object') continue; // not an event or link: nothing an exporter could use
    try {
      out.push(mask(value));
    } catch {
      // unreadable (a throwing getter): dropped rather than exported unmasked
    }
  }
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reads any field of any value (records may be hostile), callers check the type
function readField(object: any, field: string): any {
  try {
    return object[field];
  } catch {
    return undefined;
  }
}

function addDropped(count: unknown, dropped: number): number {
  return (typeof count === 'number' && Number.isFinite(count) ? count : 0) + dropped;
}

function maskSpanContext(policy: MaskingPolicy, context: SpanContextRecord): SpanContextRecord {
  if (context === null || typeof context !== 'object') return context;
  const traceState = readField(context, 'traceState');
  if (traceState === undefined) return context;
  const masked = typeof traceState === 'string' ? maskTraceState(policy, traceState) : undefined;
  return masked === traceState ? context : { ...context, traceState: masked };
}

/** W3C Trace Context: a value is printable ASCII without `,` and `=`, not ending in a blank. */
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * Each `key=value` member is masked on its own: a masked value that is no longer a valid tracestate
 * value becomes `***` (the exporters re-parse the header and would drop it, or worse keep half),
 * a member whose key held something to mask is dropped. Unchanged input returns the same string.
 */
export function maskTraceState(policy: MaskingPolicy, traceState: string): string | undefined {
  let changed = false;
  const members: string[] = [];
  for (const member of traceState.split(',')) {
    const trimmed = member.trim();
    const eq = trimmed.indexOf('=');
    if (eq <= 0) {
      if (trimmed !== '') changed = true; // not a member: nothing an exporter keeps, and it may hold anything
      continue;
    }
    const key = trimmed.slice(0, eq);
    const value = trimmed.slice(eq + 1);
    if (policy.maskString(key) !== key) {
      changed = true;
      continue;
    }
    const maskedValue = policy.maskString(value);
    if (maskedValue === value) {
      members.push(trimmed);
      continue;
    }
    changed = true;
    members.push(`${key}=${TRACESTATE_VALUE.test(maskedValue) ? maskedValue : MASK}`);
  }
  if (!changed) return traceState;
  return members.length > 0 ? members.join(',') : undefined;
}
