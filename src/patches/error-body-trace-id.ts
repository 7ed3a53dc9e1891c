/**
 * Adds the request's trace id to JSON error response bodies: `{"error":"boom"}` becomes
 * `{"error":"boom","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}` (TRACING_ERROR_BODY_TRACE_ID,
 * TRACING_ERROR_BODY_FIELD, TRACING_ERROR_STATUS_MIN). The Server-Timing header of
 * TRACING_RESPONSE_HEADER is a patch of its own (response-trace-header.ts) on the same writeHead.
 *
 * Approach: every framework (express 4/5, raw node:http, ...) ends in http.ServerResponse's writeHead,
 * write and end, so those are wrapped on ServerResponse.prototype. A response is a candidate when its
 * status is >= the threshold (not 1xx/204/304, not HEAD), its Content-Type is UTF-8 JSON and its
 * Content-Encoding is identity. The agent never holds a header back and never imitates response state:
 * every header call reaches Node when the app (or a middleware) makes it, so `headersSent`, `_header`,
 * `getHeader(s)`, `statusCode` and events are Node's own. Only body bytes of a candidate are held.
 * - end(body) with no header stored yet (express res.json/res.send): the body is rewritten and a
 *   Content-Length the app set is corrected with setHeader() before the original end() runs.
 * - A candidate whose header is committed before its body (writeHead(), or the implicit header of a
 *   write(), flushHeaders(), or a middleware's `_implicitHeader()` as express-session and compression
 *   call it): writeHead goes to Node at once and its body chunks are held up to MAX_REWRITE_BYTES, then
 *   sent rewritten at end(). Without a Content-Length Node frames the body itself (chunked), so a longer
 *   body fits; with one, the Content-Length line of the header Node stored is corrected at end(), while
 *   that header is still unsent (see correctStoredLength). Past the cap, or for a chunk that is not a
 *   string/buffer, the held chunks are written unchanged, in order, and everything after passes through.
 * Anything that is not a JSON object (arrays, scalars, invalid JSON), already has the field, or does
 * not fit passes through: held chunks are replayed with their original arguments, so the bytes are the
 * app's. Our own logic runs in try/catch: on an internal error the held chunks are released and the
 * original call proceeds with its original arguments (reported once per site).
 * The hot path (status below the threshold, no response header) costs two tests per call: the status
 * and a property lookup for this response's state.
 *
 * Limitations:
 * - Held body chunks (<= 64 KiB) of a JSON error response reach the socket at end(): an app that writes a
 *   JSON error early and ends much later (long poll) sends that body late. A header already on the
 *   socket with a Content-Length (flushHeaders() before the body) cannot grow: that body passes through.
 * - After a header-committed rewrite, getHeader('content-length') still reads the app's value; the wire
 *   carries the corrected one.
 * - Callbacks of held write() chunks run on the next tick after being held, not after the socket
 *   flushed them, and never see a later socket error (holding them would deadlock apps that await
 *   each write's callback).
 * - A response destroyed while chunks are held sends none of them.
 * - A weak ETag that express computed from the original body is left as is.
 * - Http2ServerResponse (http2 compatibility API) and bytes written straight to res.socket are not covered.
 */
import type { Span } from '@opentelemetry/api';
import * as http from 'http';
import type { ServerResponse } from 'http';
import type { AgentConfig } from '../config/types';
import { reportInternalError } from '../safe';
import { noteTraceIdShown } from './request-spans';
import { PrototypeMethods } from './prototype-methods';
import type { AnyMethod } from './prototype-methods';
import { spanOfResponse } from './response-span';
import type { AgentPatch, PatchContext } from './types';
import {
  chunkToBuffer,
  injectTraceIdIntoJsonBody,
  isIdentityContentEncoding,
  isJsonContentType,
  isPlainTransferEncoding,
  MAX_REWRITE_BYTES,
} from './error-body-trace-id/json-body';
import { effectiveHeader, parseWriteHeadArgs } from './error-body-trace-id/header-args';
import type { HeadersArg } from './error-body-trace-id/header-args';
import { ERROR_BODY_STATE as kState } from '../request-fields';

export {
  chunkToBuffer,
  DEFAULT_TRACE_ID_FIELD,
  injectTraceIdIntoJsonBody,
  isIdentityContentEncoding,
  isJsonContentType,
  isPlainTransferEncoding,
  MAX_REWRITE_BYTES,
} from './error-body-trace-id/json-body';
export { appendExposedHeader, appendServerTiming, serverTimingEntry } from './error-body-trace-id/trace-headers';

const SITE = 'error-body-trace-id';

type PatchedMethod = 'writeHead' | 'write' | 'end';

interface HeldWrite {
  chunk: string | Uint8Array;
  encoding: BufferEncoding | undefined;
  bytes: Buffer;
}

/** A candidate whose header Node has stored, framed so that a longer body fits; its body chunks are held. */
interface CollectingResponse {
  readonly writes: HeldWrite[];
  bytes: number;
  /** The Content-Length the app declared (and we removed), to tell a body that matches it from one that does not. */
  readonly declaredLength: number | undefined;
}

/** Decided: everything on this response goes straight to the original methods. */
const RELEASED = 'released';
type ResponseState = CollectingResponse | typeof RELEASED;

type TrackedResponse = ServerResponse & { [kState]?: ResponseState; _implicitHeader?: () => void };

// Settings read on the hot path. statusMin = Infinity switches the body rewrite off without another test.
let statusMin = Infinity;
let fieldName = 'trace_id';

let originalWriteHead: AnyMethod;
let originalWrite: AnyMethod;
let originalEnd: AnyMethod;

/** Responses currently holding chunks, so unpatch() can release them. */
const collectingResponses = new Set<ServerResponse>();

function stateOf(res: ServerResponse): ResponseState | undefined {
  return (res as TrackedResponse)[kState];
}

function setState(res: ServerResponse, state: ResponseState): void {
  (res as TrackedResponse)[kState] = state;
}

// ---------------------------------------------------------------------------------------------------
// The wrappers

function writeHeadWithTraceId(this: ServerResponse, ...args: [statusCode: number, reason?: unknown, headers?: unknown]): ServerResponse {
  // Rest parameters, forwarded as they came: Node reads the same arguments, with the same count.
  const [statusCode, reason, headers] = args;
  if (statusCode < statusMin && stateOf(this) === undefined) return Reflect.apply(originalWriteHead, this, args);
  let plan: CollectPlan | undefined;
  try {
    plan = planCollecting(this, statusCode, reason, headers);
  } catch (err) {
    reportInternalError(`${SITE} writeHead`, err);
    plan = undefined;
  }
  const result = Reflect.apply(originalWriteHead, this, args);
  // Node stored the header (it threw otherwise): from here on the body decides.
  if (plan !== undefined) startCollecting(this, plan.declaredLength);
  return result;
}

function writeWithTraceId(this: ServerResponse, ...args: [chunk: unknown, encoding?: unknown, callback?: unknown]): boolean {
  const [chunk, encoding, callback] = args;
  let state = stateOf(this);
  if (state === undefined) {
    if (this.statusCode < statusMin || this.headersSent) return Reflect.apply(originalWrite, this, args);
    // The first write() commits the implicit header; commit it first, as Node's write_() would, so the
    // writeHead wrapper decides whether this body is collected.
    if (!commitsImplicitHeader(this, chunk, encoding)) return Reflect.apply(originalWrite, this, args);
    (this as TrackedResponse)._implicitHeader!();
    state = stateOf(this);
    if (state === undefined) setState(this, RELEASED);
  }
  if (state === undefined || state === RELEASED) return Reflect.apply(originalWrite, this, args);
  let held: boolean;
  try {
    held = holdWrite(this, state, chunk, encoding, callback);
  } catch (err) {
    reportInternalError(`${SITE} write`, err);
    held = false;
  }
  if (held) return true;
  releaseCollected(this, state);
  return Reflect.apply(originalWrite, this, args);
}

function endWithTraceId(this: ServerResponse, ...args: [chunk?: unknown, encoding?: unknown, callback?: unknown]): ServerResponse {
  const [chunk, encoding, callback] = args;
  const state = stateOf(this);
  if (state === undefined) {
    if (this.statusCode < statusMin || this.headersSent) return Reflect.apply(originalEnd, this, args);
  } else if (state === RELEASED) {
    return Reflect.apply(originalEnd, this, args);
  }
  let plan: RewritePlan | undefined;
  try {
    plan = planRewrite(this, state, chunk, encoding, callback);
  } catch (err) {
    reportInternalError(`${SITE} end`, err);
    plan = undefined;
  }
  if (plan !== undefined) return applyRewrite(this, state, plan);
  // Pass through. RELEASED also keeps the writeHead that the original end() calls implicitly from collecting.
  if (state === undefined) setState(this, RELEASED);
  else releaseCollected(this, state);
  return Reflect.apply(originalEnd, this, args);
}

const WRAPPERS: Record<PatchedMethod, AnyMethod> = {
  writeHead: writeHeadWithTraceId,
  write: writeWithTraceId,
  end: endWithTraceId,
};

// ---------------------------------------------------------------------------------------------------
// Deciding at writeHead

function isCandidate(res: ServerResponse, statusCode: number, headers: HeadersArg | undefined): boolean {
  if (!(statusCode >= statusMin) || statusCode < 200 || statusCode > 999 || statusCode === 204 || statusCode === 304) return false;
  if (res.req?.method === 'HEAD') return false;
  return (
    isJsonContentType(effectiveHeader(res, headers, 'content-type')) &&
    isIdentityContentEncoding(effectiveHeader(res, headers, 'content-encoding')) &&
    isPlainTransferEncoding(effectiveHeader(res, headers, 'transfer-encoding'))
  );
}

/** A candidate whose body is collected from writeHead on. */
interface CollectPlan {
  declaredLength: number | undefined;
}

/** A Content-Length value as Node would send it, when it is one plain number small enough to rewrite. */
function rewritableLength(value: unknown): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text)) return undefined;
  const length = Number(text);
  return length <= MAX_REWRITE_BYTES ? length : undefined;
}

/** Whether this writeHead starts collecting the body (a candidate), or undefined for "pass through". */
function planCollecting(res: ServerResponse, statusCode: unknown, reason: unknown, headers: unknown): CollectPlan | undefined {
  // Anything Node would reject must throw where the app called it, untouched by us.
  const args = parseWriteHeadArgs(res, reason, headers);
  if (args === undefined) return undefined;
  const code = (statusCode as number) | 0;
  // Decided already (end() passing through, or rewriting with no header stored), or no error status.
  if (stateOf(res) !== undefined || !(code >= statusMin)) return undefined;
  if (!isCandidate(res, code, args.headers)) {
    setState(res, RELEASED);
    return undefined;
  }
  const declared = effectiveHeader(res, args.headers, 'content-length');
  if (declared === undefined) return { declaredLength: undefined };
  const declaredLength = rewritableLength(declared);
  if (declaredLength === undefined) {
    setState(res, RELEASED);
    return undefined;
  }
  return { declaredLength };
}

/** Whether a write() would commit the implicit header (Node's write_() accepts the chunk and the stream is open). */
function commitsImplicitHeader(res: ServerResponse, chunk: unknown, encoding: unknown): boolean {
  if (typeof (res as TrackedResponse)._implicitHeader !== 'function' || res.writableEnded || res.destroyed) return false;
  return chunkToBuffer(chunk, typeof encoding === 'function' ? undefined : encoding) !== undefined;
}

function startCollecting(res: ServerResponse, declaredLength: number | undefined): void {
  setState(res, { writes: [], bytes: 0, declaredLength });
  collectingResponses.add(res);
  res.on('close', forgetClosedResponse);
}

// ---------------------------------------------------------------------------------------------------
// Holding body chunks

function holdWrite(res: ServerResponse, collecting: CollectingResponse, chunk: unknown, encoding: unknown, callback: unknown): boolean {
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  if (res.destroyed || res.writableEnded) return false;
  const bytes = chunkToBuffer(chunk, encoding);
  if (bytes === undefined || collecting.bytes + bytes.length > MAX_REWRITE_BYTES) return false;
  collecting.writes.push({ chunk: chunk as string | Uint8Array, encoding: (encoding ?? undefined) as BufferEncoding | undefined, bytes });
  collecting.bytes += bytes.length;
  // Not at release: an app awaiting each write's callback before the next write would wait forever.
  if (typeof callback === 'function') process.nextTick(callback);
  return true;
}

function forgetClosedResponse(this: ServerResponse): void {
  // The socket is gone: nothing to release at unpatch. A later end() still finds the state and replays.
  collectingResponses.delete(this);
}

/** Bookkeeping only: from here on the response's calls go to the originals. */
function stopCollecting(res: ServerResponse): void {
  setState(res, RELEASED);
  collectingResponses.delete(res);
  res.removeListener('close', forgetClosedResponse);
}

/** Writes the held chunks unchanged, in order; the response passes through from here on. */
function releaseCollected(res: ServerResponse, collecting: CollectingResponse): void {
  stopCollecting(res);
  for (const held of collecting.writes) {
    // Callbacks already ran (holdWrite); binary chunks are our copies.
    if (typeof held.chunk === 'string') originalWrite.call(res, held.chunk, held.encoding);
    else originalWrite.call(res, held.bytes);
  }
}

// ---------------------------------------------------------------------------------------------------
// Rewriting at end()

interface RewritePlan {
  /** Its trace id is in the body: a client saw it, so keep-by-outcome.ts keeps the trace. */
  span: Span;
  body: Buffer;
  /** Content-Length was set with setHeader() before any header was stored: set it again to the new length, under the app's spelling. */
  contentLengthName: string | undefined;
  /** The Content-Length in the header Node stored at writeHead(), to correct before the first byte goes out. */
  storedLength: number | undefined;
  callback: (() => void) | undefined;
}

function rawHeaderName(res: ServerResponse, lowerName: string): string {
  // getRawHeaderNames (Node >= 15.13) is missing from the @types/node version we build with.
  const names = (res as ServerResponse & { getRawHeaderNames?: () => string[] }).getRawHeaderNames?.() ?? [];
  return names.find((name) => name.toLowerCase() === lowerName) ?? lowerName;
}

function planRewrite(
  res: ServerResponse,
  state: CollectingResponse | undefined,
  chunk: unknown,
  encoding: unknown,
  callback: unknown,
): RewritePlan | undefined {
  // end([chunk][, encoding][, callback]), as lib/_http_outgoing.js reads it.
  if (typeof chunk === 'function') {
    callback = chunk;
    chunk = undefined;
    encoding = undefined;
  } else if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  if (state === undefined && !isCandidate(res, res.statusCode, undefined)) return undefined;
  if (res.destroyed || res.writableEnded) return undefined;
  let last: Buffer | undefined;
  if (chunk) {
    last = chunkToBuffer(chunk, encoding);
    if (last === undefined) return undefined;
  }
  const held = state?.writes ?? [];
  const total = (state?.bytes ?? 0) + (last?.length ?? 0);
  if (total === 0 || total > MAX_REWRITE_BYTES) return undefined;
  const body = held.length === 0 ? last! : Buffer.concat(last ? [...held.map((w) => w.bytes), last] : held.map((w) => w.bytes), total);

  // The app's framing is already off (declared length and body disagree): not ours to touch.
  if (state !== undefined) {
    if (state.declaredLength !== undefined && (state.declaredLength !== total || !canCorrectStoredLength(res, total))) return undefined;
  } else {
    const declared = res.getHeader('content-length');
    if (declared !== undefined && rewritableLength(declared) !== total) return undefined;
  }

  const span = spanOfResponse(res);
  if (span === undefined) return undefined;
  const rewritten = injectTraceIdIntoJsonBody(body, span.spanContext().traceId, fieldName);
  if (rewritten === undefined) return undefined;
  return {
    span,
    body: rewritten,
    contentLengthName: state === undefined && res.hasHeader('content-length') ? rawHeaderName(res, 'content-length') : undefined,
    storedLength: state?.declaredLength,
    callback: typeof callback === 'function' ? (callback as () => void) : undefined,
  };
}

/**
 * Node serializes a header block at writeHead() into `res._header` and puts it on the socket with the
 * first body bytes (lib/_http_outgoing.js `_send`, `_headerSent`). Until then its Content-Length line is
 * the one thing that must follow a longer body; we correct that line (and `_contentLength`, which
 * `strictContentLength` checks) once, at end(), and imitate nothing: every field reads what Node set.
 */
type StoredHeaderResponse = ServerResponse & { _header?: unknown; _headerSent?: unknown; _contentLength?: unknown };
const CONTENT_LENGTH_LINE = /\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n)/gi;

function canCorrectStoredLength(res: ServerResponse, declared: number): boolean {
  const { _header: header, _headerSent: headerSent } = res as StoredHeaderResponse;
  if (headerSent !== false || typeof header !== 'string') return false;
  const lines = [...header.matchAll(CONTENT_LENGTH_LINE)];
  return lines.length === 1 && Number(lines[0][1]) === declared;
}

function correctStoredLength(res: ServerResponse, from: number, to: number): void {
  const stored = res as StoredHeaderResponse;
  stored._header = (stored._header as string).replace(CONTENT_LENGTH_LINE, (line) => line.replace(/\d+/, String(to)));
  if (stored._contentLength === from) stored._contentLength = to;
}

function applyRewrite(res: ServerResponse, state: CollectingResponse | undefined, plan: RewritePlan): ServerResponse {
  // RELEASED first: the implicit writeHead that end() makes when no header is stored must not collect.
  if (state !== undefined) stopCollecting(res);
  else setState(res, RELEASED);
  if (plan.contentLengthName !== undefined) res.setHeader(plan.contentLengthName, String(plan.body.length));
  if (plan.storedLength !== undefined) correctStoredLength(res, plan.storedLength, plan.body.length);
  noteTraceIdShown(plan.span);
  return plan.callback ? originalEnd.call(res, plan.body, plan.callback) : originalEnd.call(res, plan.body);
}

// ---------------------------------------------------------------------------------------------------
// Install / remove

const methods = new PrototypeMethods<PatchedMethod>(() => http.ServerResponse.prototype, WRAPPERS);

function setOriginal(method: PatchedMethod, original: AnyMethod): void {
  if (method === 'writeHead') originalWriteHead = original;
  else if (method === 'write') originalWrite = original;
  else originalEnd = original;
}

function applySettings(config: AgentConfig): void {
  statusMin = config.errorStatusMin;
  fieldName = config.errorBodyField;
}

export const errorBodyTraceIdPatch: AgentPatch = {
  name: 'error-body-trace-id',

  isEnabled(config: AgentConfig): boolean {
    return config.errorBodyTraceId;
  },

  patch({ config }: PatchContext): void {
    methods.install(setOriginal);
    applySettings(config);
  },

  unpatch(): void {
    // A wrapper that stays in a chain (another tool wrapped on top of it) passes everything through.
    statusMin = Infinity;
    for (const res of [...collectingResponses]) {
      const state = stateOf(res);
      try {
        if (state !== undefined && state !== RELEASED) releaseCollected(res, state);
        else collectingResponses.delete(res);
      } catch (err) {
        reportInternalError(`${SITE} unpatch`, err);
      }
    }
    methods.uninstall();
  },
};
