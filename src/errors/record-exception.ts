/**
 * One error, one `exception` event: the single place where the agent turns a thrown value into span data.
 *
 * Approach: read what the error carries (name, message, stack, code, HTTP status) through guarded
 * property reads, add ONE `exception` event, and describe the failure on the span itself:
 * - event `exception`: `exception.type`, `exception.message`, `exception.stacktrace` (only with
 *   TRACING_CAPTURE_STACKTRACE); the OpenTelemetry exception semantic conventions.
 * - span, only when the caller marks the span as failed (`markError`): status ERROR with the message,
 *   and `error.type` (the error's string `code`, else its type). The HTTP semantic conventions say a
 *   server span whose request did not fail carries no `error.type`, and a 4xx is the client's failure,
 *   not the server's: a span left UNSET must not look failed to an `error.type` query either.
 * - span, always: `error.code` when the error has a string or numeric `code` (`ECONNRESET`, `E_AUTH`),
 *   and `otel_agent.error.http_status_code` when it carries an HTTP status (`err.status` /
 *   `err.statusCode`, as set by http-errors and honoured by express's final handler). The status lives in
 *   the agent's own namespace on purpose: `http.response.status_code` is what was actually sent, which
 *   the http instrumentation records and an error handler may have chosen differently.
 *
 * Dedupe: per span, an error object (WeakSet: nothing kept alive) or a primitive value (`next('boom')`)
 * is recorded once, so an error seen by several layers, routers or hooks is still one event.
 * Never mutates the error (no marker property: frozen errors and errors shared across requests stay
 * untouched), never throws (a hostile getter costs us the field it guards, not the app its request).
 *
 * Limitations: dedupe only knows what passed through here; an exception event added by an upstream
 * instrumentation directly (http's synchronous-throw path) is not seen, so callers must not record the
 * same error on a span that upstream already recorded and ended (an ended span is ignored here).
 */
import { SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { types as utilTypes } from 'util';
import { reportInternalError } from '../safe';

export interface RecordExceptionOptions {
  /** Whether `exception.stacktrace` is recorded (TRACING_CAPTURE_STACKTRACE). */
  captureStacktrace: boolean;
  /** Whether the span becomes a failure: status ERROR and `error.type`. */
  markError: boolean;
}

/** The agent's attribute for the HTTP status an error asks for (see the header comment for why not semconv). */
export const ATTR_ERROR_HTTP_STATUS_CODE = 'otel_agent.error.http_status_code';
export const ATTR_ERROR_CODE = 'error.code';

interface RecordedOnSpan {
  objects: WeakSet<object>;
  values: Set<unknown>;
}

const recordedBySpan = new WeakMap<Span, RecordedOnSpan>();

/** Reads one property; a throwing getter or proxy trap reads as undefined. */
function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function isErrorObject(value: unknown): value is Error {
  try {
    return value instanceof Error || utilTypes.isNativeError(value);
  } catch {
    // instanceof runs a proxy's getPrototypeOf trap, which may throw.
    return false;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** String(value), or a description when even that throws. */
export function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    // Null-prototype objects and objects whose toString throws...
    try {
      return Object.prototype.toString.call(value);
    } catch {
      // ...or a proxy whose traps throw even for Symbol.toStringTag.
      return '[unprintable value]';
    }
  }
}

function constructorName(value: object): string | undefined {
  try {
    const prototype: unknown = Object.getPrototypeOf(value);
    const ctor = prototype && readProperty(prototype, 'constructor');
    return typeof ctor === 'function' ? nonEmptyString(ctor.name) : undefined;
  } catch {
    return undefined;
  }
}

/** `exception.type`: the error's name, else its class, else what the thrown value is (`string`, `object`). */
export function exceptionTypeOf(error: unknown): string {
  if (isErrorObject(error)) return nonEmptyString(readProperty(error, 'name')) ?? constructorName(error) ?? 'Error';
  return error === null ? 'null' : typeof error;
}

/** `exception.message`: the message of an error or error-like object, else the value as a string. */
export function exceptionMessageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const message = readProperty(error, 'message');
    if (typeof message === 'string') return message;
    if (isErrorObject(error)) return '';
  }
  return safeString(error);
}

/** The error's `code` when it is a string or a number (`ECONNREFUSED`, a driver's errno). */
export function errorCodeOf(error: unknown): string | number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = readProperty(error, 'code');
  return (typeof code === 'string' && code.length > 0) || (typeof code === 'number' && Number.isFinite(code)) ? code : undefined;
}

/** The HTTP status an error asks for (`err.status`, else `err.statusCode`), when it is a valid status code. */
export function httpStatusOfError(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  for (const key of ['status', 'statusCode']) {
    const status = readProperty(error, key);
    if (typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599) return status;
  }
  return undefined;
}

/**
 * Whether an error seen in a server's request pipeline makes the server span a failure: yes, unless
 * the error itself says it is a 4xx (the HTTP semantic conventions leave server spans UNSET on 4xx).
 */
export function isServerFailure(error: unknown): boolean {
  const status = httpStatusOfError(error);
  return status === undefined || status < 400 || status >= 500;
}

/** Remembers `error` for `span`; false when it was already recorded there. */
function markRecorded(span: Span, error: unknown): boolean {
  let recorded = recordedBySpan.get(span);
  if (!recorded) {
    recorded = { objects: new WeakSet(), values: new Set() };
    recordedBySpan.set(span, recorded);
  }
  if ((typeof error === 'object' && error !== null) || typeof error === 'function') {
    if (recorded.objects.has(error)) return false;
    recorded.objects.add(error);
  } else {
    if (recorded.values.has(error)) return false;
    recorded.values.add(error);
  }
  return true;
}

/**
 * Adds one `exception` event for `error` to `span` (see the header comment for what is recorded).
 * Returns whether an event was added: false for a missing, ended or non-recording span and for an
 * error already recorded on this span.
 */
export function recordExceptionOnSpan(span: Span | undefined, error: unknown, options: RecordExceptionOptions): boolean {
  try {
    if (!span || !span.isRecording()) return false;
    if (!markRecorded(span, error)) return false;

    const type = exceptionTypeOf(error);
    const message = exceptionMessageOf(error);
    const eventAttributes: Attributes = { 'exception.type': type, 'exception.message': message };
    if (options.captureStacktrace && isErrorObject(error)) {
      const stack = readProperty(error, 'stack');
      if (typeof stack === 'string') eventAttributes['exception.stacktrace'] = stack;
    }
    span.addEvent('exception', eventAttributes);

    const code = errorCodeOf(error);
    if (code !== undefined) span.setAttribute(ATTR_ERROR_CODE, code);
    const httpStatus = httpStatusOfError(error);
    if (httpStatus !== undefined) span.setAttribute(ATTR_ERROR_HTTP_STATUS_CODE, httpStatus);
    if (options.markError) {
      span.setAttribute('error.type', typeof code === 'string' ? code : type);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    return true;
  } catch (err) {
    reportInternalError('recording an exception', err);
    return false;
  }
}
