/**
 * Reading and editing the `headers` argument of `res.writeHead(status[, reason][, headers])` without
 * touching the app's own object. Node accepts three shapes (lib/_http_outgoing.js, _storeHeader):
 * an object, a flat `[name, value, name, value]` array, or an array of `[name, value]` pairs.
 * When headers were also set with setHeader(), writeHead's values override them (lib/_http_server.js).
 */
import { validateHeaderName, validateHeaderValue } from 'http';
import type { OutgoingMessage } from 'http';

export type HeadersArg = Record<string, unknown> | unknown[];

function isPairList(headers: unknown[]): boolean {
  return headers.length > 0 && Array.isArray(headers[0]);
}

function sameName(name: unknown, lowerName: string): boolean {
  return typeof name === 'string' && name.toLowerCase() === lowerName;
}

/** Values given for `lowerName` in a writeHead headers argument, [] when absent. */
export function headerArgValues(headers: HeadersArg | undefined, lowerName: string): unknown[] {
  const values: unknown[] = [];
  if (headers === undefined || headers === null || typeof headers !== 'object') return values;
  if (Array.isArray(headers)) {
    if (isPairList(headers)) {
      for (const entry of headers) if (Array.isArray(entry) && sameName(entry[0], lowerName)) values.push(entry[1]);
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) if (sameName(headers[i], lowerName)) values.push(headers[i + 1]);
    }
  } else {
    for (const key of Object.keys(headers)) if (key.toLowerCase() === lowerName) values.push(headers[key]);
  }
  return values;
}

/**
 * The value the response will carry for `lowerName`: writeHead's argument wins over setHeader().
 * Several entries in the argument come back as an array (Node would send them all): callers treat
 * that as "not a single plain value".
 */
export function effectiveHeader(res: OutgoingMessage, headers: HeadersArg | undefined, lowerName: string): unknown {
  const given = headerArgValues(headers, lowerName);
  if (given.length === 1) return given[0];
  if (given.length > 1) return given;
  return res.getHeader(lowerName);
}

/** A copy of `headers` where `name` has exactly one entry with `value` (at the first old entry's place and spelling, else appended). */
export function withHeaderArg(headers: HeadersArg, name: string, value: unknown): HeadersArg {
  const lowerName = name.toLowerCase();
  if (Array.isArray(headers)) {
    const copy: unknown[] = [];
    let placed = false;
    if (isPairList(headers)) {
      for (const entry of headers) {
        if (Array.isArray(entry) && sameName(entry[0], lowerName)) {
          if (!placed) copy.push([entry[0], value]);
          placed = true;
        } else {
          copy.push(entry);
        }
      }
      if (!placed) copy.push([name, value]);
    } else {
      for (let i = 0; i < headers.length; i += 2) {
        if (sameName(headers[i], lowerName)) {
          if (!placed) copy.push(headers[i], value);
          placed = true;
        } else {
          copy.push(headers[i], headers[i + 1]);
        }
      }
      if (!placed) copy.push(name, value);
    }
    return copy;
  }
  const copy: Record<string, unknown> = {};
  let placed = false;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === lowerName) {
      if (!placed) copy[key] = value;
      placed = true;
    } else {
      copy[key] = headers[key];
    }
  }
  if (!placed) copy[name] = value;
  return copy;
}

/**
 * Sets `name` to `update(current value)` for a writeHead call: in a copy of the argument when it has
 * the header or when the response has none set (never switching Node from writeHead's fast path to its
 * setHeader path, which cannot take `[name, value]` pairs), else with res.setHeader().
 */
export function upsertHeader(
  res: OutgoingMessage,
  headers: HeadersArg | undefined,
  name: string,
  update: (current: unknown) => unknown,
): HeadersArg | undefined {
  const lowerName = name.toLowerCase();
  const given = headerArgValues(headers, lowerName);
  if (given.length > 0) return withHeaderArg(headers!, name, update(given.length === 1 ? given[0] : given));
  const current = res.getHeader(lowerName);
  if (headers !== undefined && headers !== null && current === undefined) return withHeaderArg(headers, name, update(undefined));
  res.setHeader(name, update(current) as string);
  return headers;
}

/**
 * Whether Node's writeHead would accept this reason phrase and headers. A call it would reject is
 * left to Node untouched: it must throw where the app called it.
 */
export function isValidWriteHead(reason: string | undefined, headers: HeadersArg | undefined): boolean {
  try {
    if (reason !== undefined) validateHeaderValue('status message', reason);
    if (headers === undefined || headers === null) return true;
    if (typeof headers !== 'object') return false;
    if (Array.isArray(headers)) {
      if (isPairList(headers)) {
        for (const entry of headers) {
          if (!Array.isArray(entry)) return false;
          validateHeaderName(entry[0] as string);
          validateHeaderValue(entry[0] as string, entry[1] as string);
        }
        return true;
      }
      if (headers.length % 2 !== 0) return false;
      for (let i = 0; i < headers.length; i += 2) {
        validateHeaderName(headers[i] as string);
        validateHeaderValue(headers[i] as string, headers[i + 1] as string);
      }
      return true;
    }
    for (const key of Object.keys(headers)) {
      validateHeaderName(key);
      validateHeaderValue(key, headers[key] as string);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * writeHead(status[, reason][, headers]) as Node reads it (headers come from the 2nd argument when no
 * reason is given), or undefined when Node would throw or decide by itself (headers already sent,
 * headers that are not an object, an invalid name or value): such a call must reach Node untouched.
 */
export function parseWriteHeadArgs(
  res: OutgoingMessage,
  reason: unknown,
  headers: unknown,
): { reason: string | undefined; headers: HeadersArg | undefined } | undefined {
  if (res.headersSent) return undefined; // Node throws ERR_HTTP_HEADERS_SENT
  const reasonText = typeof reason === 'string' ? reason : undefined;
  const givenHeaders = reasonText !== undefined ? headers : (headers ?? reason);
  if (givenHeaders !== undefined && givenHeaders !== null && typeof givenHeaders !== 'object') return undefined;
  const headersArg = (givenHeaders ?? undefined) as HeadersArg | undefined;
  if (!isValidWriteHead(reasonText, headersArg)) return undefined;
  return { reason: reasonText, headers: headersArg };
}
