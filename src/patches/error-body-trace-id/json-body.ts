/**
 * Pure helpers of the error-body patch: which responses carry a JSON object we may extend, and the
 * byte-preserving rewrite itself. No http types here, so unit tests and a benchmark can call them.
 */

/** Bodies larger than this are never held back or rewritten. */
export const MAX_REWRITE_BYTES = 64 * 1024;

export const DEFAULT_TRACE_ID_FIELD = 'trace_id';

// `application/json` or any structured `+json` type (RFC 6839), e.g. application/problem+json.
const JSON_MEDIA_TYPE = /^(?:application\/json|[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json)$/;
// JSON is UTF-8 (RFC 8259 §8.1): a body declared in another charset is left alone.
const UTF8_CHARSET = /^"?utf-?8"?$/;
const CHUNKED_ONLY = /^\s*chunked\s*$/i;

/** Whether a Content-Type value names JSON we can rewrite: a JSON media type with no charset or charset=utf-8. */
export function isJsonContentType(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const parts = value.split(';');
  if (!JSON_MEDIA_TYPE.test(parts[0].trim().toLowerCase())) return false;
  for (let i = 1; i < parts.length; i++) {
    const eq = parts[i].indexOf('=');
    if (eq < 0) continue;
    if (parts[i].slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    if (
      !UTF8_CHARSET.test(
        parts[i]
          .slice(eq + 1)
          .trim()
          .toLowerCase(),
      )
    )
      return false;
  }
  return true;
}

/** Whether a Content-Encoding value leaves the body as is (absent, empty or `identity`). */
export function isIdentityContentEncoding(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.every(isIdentityContentEncoding);
  if (typeof value !== 'string') return false;
  const encoding = value.trim().toLowerCase();
  return encoding === '' || encoding === 'identity';
}

/** Whether a Transfer-Encoding value is one Node frames itself (absent or plain `chunked`). */
export function isPlainTransferEncoding(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && CHUNKED_ONLY.test(value));
}

/**
 * The bytes a write()/end() chunk puts on the wire, or undefined when Node itself would reject the
 * arguments (then the caller leaves the call to Node). Binary chunks are copied: a held chunk must not
 * change if the app reuses its buffer.
 */
export function chunkToBuffer(chunk: unknown, encoding?: unknown): Buffer | undefined {
  if (typeof chunk === 'string') {
    if (encoding === undefined || encoding === null) return Buffer.from(chunk, 'utf8');
    if (typeof encoding !== 'string' || !Buffer.isEncoding(encoding)) return undefined;
    return Buffer.from(chunk, encoding);
  }
  if (chunk instanceof Uint8Array) return Buffer.from(chunk);
  return undefined;
}

function isJsonWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Adds `"<field>":"<traceId>"` as the last member of a JSON object body, leaving every other byte as
 * it was (no re-serialization: number formatting, key order and duplicate keys survive).
 * Returns undefined, meaning "send the body unchanged", for anything that is not a UTF-8 JSON object
 * (arrays, scalars, invalid JSON, a BOM) or that already has `field` at the top level.
 */
export function injectTraceIdIntoJsonBody(body: Buffer, traceId: string, field?: string): Buffer | undefined;
export function injectTraceIdIntoJsonBody(body: string, traceId: string, field?: string): string | undefined;
export function injectTraceIdIntoJsonBody(body: Buffer | string, traceId: string, field?: string): Buffer | string | undefined;
export function injectTraceIdIntoJsonBody(body: Buffer | string, traceId: string, field = DEFAULT_TRACE_ID_FIELD): Buffer | string | undefined {
  const codeAt = typeof body === 'string' ? (i: number) => body.charCodeAt(i) : (i: number) => body[i];
  const length = body.length;
  let first = 0;
  while (first < length && isJsonWhitespace(codeAt(first))) first++;
  let last = length - 1;
  while (last > first && isJsonWhitespace(codeAt(last))) last--;
  // Cheap shape test before any decoding: arrays, scalars and most garbage stop here.
  if (first >= last || codeAt(first) !== 0x7b /* { */ || codeAt(last) !== 0x7d /* } */) return undefined;

  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : strictUtf8.decode(body));
  } catch {
    return undefined; // invalid JSON or invalid UTF-8
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  if (Object.prototype.hasOwnProperty.call(parsed, field)) return undefined;

  // The member goes right after the last value (or the `{` of an empty object), before any whitespace
  // ahead of the closing `}`: `{"a":1\n}` becomes `{"a":1,"trace_id":"..."\n}`.
  let before = last - 1;
  while (before > first && isJsonWhitespace(codeAt(before))) before--;
  const member = `${before === first ? '' : ','}${JSON.stringify(field)}:${JSON.stringify(traceId)}`;
  const at = before + 1;
  if (typeof body === 'string') return body.slice(0, at) + member + body.slice(at);
  return Buffer.concat([body.subarray(0, at), Buffer.from(member, 'utf8'), body.subarray(at)]);
}
