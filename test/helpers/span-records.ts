/** A finished span as plain data (src/span-record.ts) with fixed ids and times, for unit tests of the export path. */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { SpanRecord } from '../../src/span-record';

export function spanRecord(overrides: Partial<SpanRecord> & { name: string }): SpanRecord {
  return {
    context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 },
    kind: SpanKind.INTERNAL,
    startTime: [1_700_000_000, 123_456_789],
    endTime: [1_700_000_001, 999_999_999],
    duration: [1, 876_543_210],
    attributes: {},
    events: [],
    links: [],
    status: { code: SpanStatusCode.UNSET },
    scope: { name: 'test-scope' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...overrides,
  };
}
