/**
 * What happens to every span in the export worker before any exporter sees it:
 * 1. exception stack traces: dropped when TRACING_CAPTURE_STACKTRACE=false, else absolute paths under
 *    the app's root made relative (shorter, and they stop leaking the deploy layout);
 * 2. PII masking (TRACING_PII_MASKING), with the policy compiled once when the worker starts.
 * Applies to every exporter alike (OTLP, Jaeger, console, file): nothing unmasked leaves the process.
 *
 * Fail closed on masking: if masking a span throws, the span is exported as a skeleton (ids, kind,
 * times, status code) with no attributes, events or names that could carry raw values.
 */
import type { Attributes } from '@opentelemetry/api';
import type { AgentConfig } from '../config/types';
import type { MaskingPolicy } from '../redact';
import { maskSpanRecord } from '../redact';
import type { SpanRecord } from '../span-record';
import { escapeRegExp } from '../escape-reg-exp';

const STACKTRACE = 'exception.stacktrace';

function rewriteStacktraces(record: SpanRecord, rewrite: (stack: string) => string | undefined): SpanRecord {
  if (!record.events.some((event) => event.attributes?.[STACKTRACE] !== undefined)) return record;
  return {
    ...record,
    events: record.events.map((event) => {
      const stack = event.attributes?.[STACKTRACE];
      if (typeof stack !== 'string') return event;
      const attributes: Attributes = { ...event.attributes };
      const rewritten = rewrite(stack);
      if (rewritten === undefined) delete attributes[STACKTRACE];
      else attributes[STACKTRACE] = rewritten;
      return { ...event, attributes };
    }),
  };
}

function skeletonOf(record: SpanRecord): SpanRecord {
  return {
    ...record,
    name: 'masking-failed',
    attributes: { 'otel_agent.masking_failed': true },
    events: [],
    links: record.links.map((link) => ({ context: link.context })),
    status: { code: record.status.code },
  };
}

export function createSpanRecordPreparer(
  config: AgentConfig,
  appRoot: string,
  policy: MaskingPolicy | undefined,
  onMaskingError: (err: unknown) => void,
): (record: SpanRecord) => SpanRecord {
  // Both `/app/src/x.js` and `file:///app/src/x.js` (ESM frames) become `src/x.js`.
  const rootPrefix = new RegExp(`(?:file://)?${escapeRegExp(appRoot.endsWith('/') ? appRoot : appRoot + '/')}`, 'g');
  const rewriteStack = config.captureStacktrace ? (stack: string) => stack.replace(rootPrefix, '') : () => undefined;

  return function prepareSpanRecord(record: SpanRecord): SpanRecord {
    const withStacks = rewriteStacktraces(record, rewriteStack);
    if (!policy) return withStacks;
    try {
      return maskSpanRecord(policy, withStacks);
    } catch (err) {
      onMaskingError(err);
      return skeletonOf(withStacks);
    }
  };
}
