/**
 * Adds the request's trace id to JSON error response bodies: `{"error":"boom"}` becomes
 * `{"error":"boom","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}` (TRACING_ERROR_BODY_TRACE_ID,
 * TRACING_ERROR_BODY_FIELD, TRACING_ERROR_STATUS_MIN), and with TRACING_RESPONSE_HEADER a
 * `Server-Timing: trace;desc=00-<trace-id>-<span-id>-<flags>` header on every response.
 *
 * Approach: every framework (express 4/5, raw node:http, ...) ends in http.ServerResponse's writeHead,
 * write and end, so those (and flushHeaders) are wrapped on ServerResponse.prototype. A response is a
 * candidate when its status is >= the threshold (not 1xx/204/304, not HEAD), its Content-Type is UTF-8
 * JSON and its Content-Encoding is identity.
 * - end(body) with no header stored yet (express res.json/res.send): the body is rewritten and a
 *   Content-Length the app set is corrected with setHeader() before the original end() runs.
 * - writeHead(): Node serializes the header block at once (lib/_http_server.js writeHead ->
 *   _storeHeader), so a candidate's writeHead is held back until end() and replayed then, with the new
 *   Content-Length when it had one (no Content-Length: Node keeps chunked framing).
 * - write(): a candidate's chunks are held up to MAX_REWRITE_BYTES and sent as one rewritten chunk at
 *   end(). Past the cap, or when a chunk is not a JSON-able string/buffer, the held writeHead and chunks
 *   are replayed unchanged, in order, and everything after passes through.
 * Anything that is not a JSON object (arrays, scalars, invalid JSON), already has the field, or does
 * not fit passes through: the original calls are replayed with the original arguments, so the bytes
 * are the app's. While a call is held, `res.headersSent` reads true, and setHeader/appendHeader/
 * removeHeader/setHeaders/flushHeaders/writeHead first release the held calls, so they throw or act
 * exactly as they would have. Our own logic runs in try/catch: on an internal error the held calls are
 * released and the original call proceeds with its original arguments (reported once per site).
 * The hot path (status below the threshold, no response header) costs two tests per call: the status
 * and a property lookup for this response's state.
 *
 * Limitations:
 * - While writeHead is held, getHeader()/getHeaders() do not show the headers passed to writeHead.
 * - A held JSON error response (<= 64 KiB) reaches the socket at end(), not at its first write():
 *   an app that writes a JSON error status early and ends much later (long poll) sends headers late
 *   unless it calls flushHeaders().
 * - Callbacks of held write() chunks run on the next tick after being held, not after the socket
 *   flushed them, and never see a later socket error (holding them would deadlock apps that await
 *   each write's callback).
 * - A response destroyed while held sends nothing, where it would have sent its first bytes.
 * - A weak ETag that express computed from the original body is left as is.
 * - Http2ServerResponse (http2 compatibility API) and bytes written straight to res.socket are not covered.
 */
import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import * as http from 'http';
import type { ServerResponse } from 'http';
import type { AgentConfig } from '../config/types';
import { reportInternalError } from '../safe';
import { serverSpanOf } from './request-spans';
import type { AgentPatch, PatchContext } from './types';
import {
  chunkToBuffer,
  injectTraceIdIntoJsonBody,
  isIdentityContentEncoding,
  isJsonContentType,
  isPlainTransferEncoding,
  MAX_REWRITE_BYTES,
} from './error-body-trace-id/json-body';
import { copyHeadersArg, effectiveHeader, headerArgValues, isValidWriteHead, upsertHeader, withHeaderArg } from './error-body-trace-id/header-args';
import type { HeadersArg } from './error-body-trace-id/header-args';
import { appendExposedHeader, appendServerTiming, EXPOSE_HEADERS, SERVER_TIMING, serverTimingEntry } from './error-body-trace-id/trace-headers';

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

// Test-only hook (test/integration/agent-faults.test.ts): OTEL_AGENT_TEST_FAULTS=error-body makes every
// body rewrite throw, to prove the response then goes out as the app wrote it. Read once at load.
const ERROR_BODY_FAULT = (process.env.OTEL_AGENT_TEST_FAULTS ?? '').split(',').includes('error-body');

type AnyMethod = (this: ServerResponse, ...args: any[]) => any;
type PatchedMethod = 'writeHead' | 'write' | 'end' | 'flushHeaders';
const PATCHED_METHODS: readonly PatchedMethod[] = ['writeHead', 'write', 'end', 'flushHeaders'];

/** A writeHead call held back until end(); `statusCode` is kept as the app passed it. */
interface HeldWriteHead {
  statusCode: unknown;
  reason: string | undefined;
  headers: HeadersArg | undefined;
}

interface HeldWrite {
  chunk: string | Uint8Array;
  encoding: BufferEncoding | undefined;
  bytes: Buffer;
}

/** A candidate response with something held back: its writeHead, its write() chunks, or both. */
interface PendingResponse {
  readonly statusCode: number;
  readonly head: HeldWriteHead | undefined;
  readonly writes: HeldWrite[];
  bytes: number;
  /** Own properties installed on the response while holding (see installShims). */
  readonly shims: string[];
}

/** Decided: everything on this response goes straight to the original methods. */
const RELEASED = 'released';
type ResponseState = PendingResponse | typeof RELEASED;

const kState = Symbol('otel-agent.errorBodyTraceId');
type TrackedResponse = ServerResponse & { [kState]?: ResponseState };

// Settings read on the hot path. statusMin = Infinity switches the body rewrite off without another test;
// writeHead passes statuses below writeHeadMin straight through (-Infinity when every response gets a header).
let statusMin = Infinity;
let writeHeadMin = Infinity;
let fieldName = 'trace_id';
let addTraceHeaders = false;

let originalWriteHead: AnyMethod;
let originalWrite: AnyMethod;
let originalEnd: AnyMethod;
let originalFlushHeaders: AnyMethod;

/** Responses currently holding calls, so unpatch() can release them. */
const pendingResponses = new Set<ServerResponse>();

function stateOf(res: ServerResponse): ResponseState | undefined {
  return (res as TrackedResponse)[kState];
}

function setState(res: ServerResponse, state: ResponseState): void {
  (res as TrackedResponse)[kState] = state;
}

// ---------------------------------------------------------------------------------------------------
// The wrappers

const HELD = Symbol('held');

function writeHeadWithTraceId(this: ServerResponse, statusCode: number, reason?: unknown, headers?: unknown): ServerResponse {
  if (statusCode < writeHeadMin && stateOf(this) === undefined) return Reflect.apply(originalWriteHead, this, arguments);
  const state = stateOf(this);
  if (state !== undefined && state !== RELEASED) {
    // A second writeHead, or one after held writes: Node throws ERR_HTTP_HEADERS_SENT; let it, in order.
    releasePending(this, state);
    return Reflect.apply(originalWriteHead, this, arguments);
  }
  let call: HeldWriteHead | typeof HELD | undefined;
  try {
    call = prepareWriteHead(this, state, statusCode, reason, headers);
  } catch (err) {
    reportInternalError(`${SITE} writeHead`, err);
    abandonHolding(this);
    call = undefined;
  }
  if (call === HELD) return this;
  return call === undefined ? Reflect.apply(originalWriteHead, this, arguments) : invokeWriteHead(this, call);
}

function writeWithTraceId(this: ServerResponse, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
  let state = stateOf(this);
  if (state === undefined) {
    if (this.statusCode < statusMin || this.headersSent) return Reflect.apply(originalWrite, this, arguments);
    try {
      state = startHolding(this, undefined, this.statusCode);
    } catch (err) {
      reportInternalError(`${SITE} write`, err);
      abandonHolding(this);
      state = RELEASED;
    }
    if (state === RELEASED) setState(this, RELEASED);
  }
  if (state === RELEASED) return Reflect.apply(originalWrite, this, arguments);
  let held = false;
  try {
    held = holdWrite(this, state, chunk, encoding, callback);
  } catch (err) {
    reportInternalError(`${SITE} write`, err);
    held = false;
  }
  if (held) return true;
  releasePending(this, state);
  return Reflect.apply(originalWrite, this, arguments);
}

function endWithTraceId(this: ServerResponse, chunk?: unknown, encoding?: unknown, callback?: unknown): ServerResponse {
  const state = stateOf(this);
  if (state === undefined) {
    if (this.statusCode < statusMin || this.headersSent) return Reflect.apply(originalEnd, this, arguments);
  } else if (state === RELEASED) {
    return Reflect.apply(originalEnd, this, arguments);
  }
  let plan: RewritePlan | undefined;
  try {
    plan = planRewrite(this, state, chunk, encoding, callback);
  } catch (err) {
    reportInternalError(`${SITE} end`, err);
    plan = undefined;
  }
  if (plan !== undefined) return applyRewrite(this, state, plan);
  // Pass through. RELEASED also keeps the writeHead that the original end() calls implicitly from holding.
  if (state === undefined) setState(this, RELEASED);
  else releasePending(this, state);
  return Reflect.apply(originalEnd, this, arguments);
}

function flushHeadersWithTraceId(this: ServerResponse): void {
  const state = stateOf(this);
  if (state !== undefined && state !== RELEASED) releasePending(this, state);
  else if (state === undefined && this.statusCode >= statusMin) setState(this, RELEASED); // headers go now: nothing to hold
  return Reflect.apply(originalFlushHeaders, this, arguments);
}

const WRAPPERS: Record<PatchedMethod, AnyMethod> = {
  writeHead: writeHeadWithTraceId,
  write: writeWithTraceId,
  end: endWithTraceId,
  flushHeaders: flushHeadersWithTraceId,
};

// ---------------------------------------------------------------------------------------------------
// Deciding and holding

function spanContextOf(res: ServerResponse): SpanContext | undefined {
  // Non-recording (unsampled) spans have valid ids too: the body gets a trace id either way.
  const server = serverSpanOf(res.req)?.spanContext();
  if (server !== undefined && isSpanContextValid(server)) return server;
  const active = trace.getSpan(context.active())?.spanContext();
  return active !== undefined && isSpanContextValid(active) ? active : undefined;
}

function isCandidate(res: ServerResponse, statusCode: number, headers: HeadersArg | undefined): boolean {
  if (!(statusCode >= statusMin) || statusCode < 200 || statusCode > 999 || statusCode === 204 || statusCode === 304) return false;
  if (res.req?.method === 'HEAD') return false;
  return (
    isJsonContentType(effectiveHeader(res, headers, 'content-type')) &&
    isIdentityContentEncoding(effectiveHeader(res, headers, 'content-encoding')) &&
    isPlainTransferEncoding(effectiveHeader(res, headers, 'transfer-encoding'))
  );
}

/** Returns HELD, the (edited) call to make now, or undefined for "call the original with the app's arguments". */
function prepareWriteHead(
  res: ServerResponse,
  state: ResponseState | undefined,
  statusCode: unknown,
  reason: unknown,
  headers: unknown,
): HeldWriteHead | typeof HELD | undefined {
  if (res.headersSent) return undefined; // Node throws ERR_HTTP_HEADERS_SENT
  // writeHead(status[, reason][, headers]): Node takes headers from the 2nd argument when no reason is given.
  const reasonText = typeof reason === 'string' ? reason : undefined;
  const givenHeaders = reasonText !== undefined ? headers : (headers ?? reason);
  if (givenHeaders !== undefined && givenHeaders !== null && typeof givenHeaders !== 'object') return undefined; // Node decides what that means
  let call: HeldWriteHead | undefined;
  if (addTraceHeaders) {
    const edited = withTraceHeaders(res, (givenHeaders ?? undefined) as HeadersArg | undefined);
    if (edited !== givenHeaders) call = { statusCode, reason: reasonText, headers: edited };
  }
  const code = (statusCode as number) | 0;
  if (state === undefined && code >= statusMin) {
    const finalHeaders = call ? call.headers : ((givenHeaders ?? undefined) as HeadersArg | undefined);
    if (isCandidate(res, code, finalHeaders) && isValidWriteHead(reasonText, finalHeaders)) {
      const held = startHolding(res, { statusCode, reason: reasonText, headers: copyHeadersArg(finalHeaders) }, code);
      if (held !== RELEASED) return HELD;
    }
  }
  return call;
}

function withTraceHeaders(res: ServerResponse, headers: HeadersArg | undefined): HeadersArg | undefined {
  const spanContext = spanContextOf(res);
  if (spanContext === undefined) return headers;
  const entry = serverTimingEntry(spanContext);
  const withTiming = upsertHeader(res, headers, SERVER_TIMING, (current) => appendServerTiming(current, entry));
  return upsertHeader(res, withTiming, EXPOSE_HEADERS, (current) => appendExposedHeader(current, SERVER_TIMING));
}

/**
 * Starts holding a candidate response (from writeHead, or from its first write() when the header is
 * implicit); RELEASED when it is no candidate.
 */
function startHolding(res: ServerResponse, head: HeldWriteHead | undefined, statusCode: number): ResponseState {
  if (head === undefined && !isCandidate(res, statusCode, undefined)) return RELEASED;
  const pending: PendingResponse = { statusCode, head, writes: [], bytes: 0, shims: [] };
  setState(res, pending);
  if (head !== undefined) res.statusCode = statusCode; // as writeHead would have, for apps and loggers reading it
  installShims(res, pending);
  pendingResponses.add(res);
  res.on('close', forgetClosedResponse);
  return pending;
}

function holdWrite(res: ServerResponse, pending: PendingResponse, chunk: unknown, encoding: unknown, callback: unknown): boolean {
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  if (res.destroyed) return false;
  const bytes = chunkToBuffer(chunk, encoding);
  if (bytes === undefined || pending.bytes + bytes.length > MAX_REWRITE_BYTES) return false;
  pending.writes.push({ chunk: chunk as string | Uint8Array, encoding: (encoding ?? undefined) as BufferEncoding | undefined, bytes });
  pending.bytes += bytes.length;
  // Not at release: an app awaiting each write's callback before the next write would wait forever.
  if (typeof callback === 'function') process.nextTick(callback as () => void);
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Shims: while a writeHead (or an implicit header) is held, the response must look as if it had been sent.

const HEADER_MUTATORS = ['setHeader', 'appendHeader', 'removeHeader', 'setHeaders'] as const;
type HeaderMutator = (typeof HEADER_MUTATORS)[number];

function headersSentWhileHeld(): boolean {
  return true;
}

function releaseThenCall(res: ServerResponse, method: HeaderMutator, args: unknown[]): unknown {
  const state = stateOf(res);
  if (state !== undefined && state !== RELEASED) releasePending(res, state);
  // The shims are gone now: the prototype chain has the real method, which throws ERR_HTTP_HEADERS_SENT.
  return Reflect.apply((Object.getPrototypeOf(res) as Record<HeaderMutator, AnyMethod>)[method], res, args);
}

const SHIMS: Record<HeaderMutator, AnyMethod> = {
  setHeader: function setHeaderAfterHeldHeader(this: ServerResponse, ...args: unknown[]) {
    return releaseThenCall(this, 'setHeader', args);
  },
  appendHeader: function appendHeaderAfterHeldHeader(this: ServerResponse, ...args: unknown[]) {
    return releaseThenCall(this, 'appendHeader', args);
  },
  removeHeader: function removeHeaderAfterHeldHeader(this: ServerResponse, ...args: unknown[]) {
    return releaseThenCall(this, 'removeHeader', args);
  },
  setHeaders: function setHeadersAfterHeldHeader(this: ServerResponse, ...args: unknown[]) {
    return releaseThenCall(this, 'setHeaders', args);
  },
};

function hasOwn(target: object, key: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

function installShims(res: ServerResponse, pending: PendingResponse): void {
  // Own properties never replace the app's or another tool's own properties.
  if (!hasOwn(res, 'headersSent')) {
    Object.defineProperty(res, 'headersSent', { configurable: true, enumerable: false, get: headersSentWhileHeld });
    pending.shims.push('headersSent');
  }
  for (const name of HEADER_MUTATORS) {
    if (hasOwn(res, name) || typeof (res as unknown as Record<string, unknown>)[name] !== 'function') continue;
    Object.defineProperty(res, name, { configurable: true, enumerable: false, writable: true, value: SHIMS[name] });
    pending.shims.push(name);
  }
}

function removeShims(res: ServerResponse, pending: PendingResponse): void {
  for (const name of pending.shims) {
    const descriptor = Object.getOwnPropertyDescriptor(res, name);
    if (descriptor === undefined) continue;
    const ours = name === 'headersSent' ? descriptor.get === headersSentWhileHeld : descriptor.value === SHIMS[name as HeaderMutator];
    if (ours) delete (res as unknown as Record<string, unknown>)[name];
  }
  pending.shims.length = 0;
}

function forgetClosedResponse(this: ServerResponse): void {
  // The socket is gone: nothing to release at unpatch. A later end() still finds the state and replays.
  pendingResponses.delete(this);
}

/** Bookkeeping only: from here on the response's calls go to the originals. */
function stopHolding(res: ServerResponse, pending: PendingResponse): void {
  setState(res, RELEASED);
  removeShims(res, pending);
  pendingResponses.delete(res);
  res.removeListener('close', forgetClosedResponse);
}

/** After an internal error while starting to hold: drop the bookkeeping; nothing of the app's was held yet. */
function abandonHolding(res: ServerResponse): void {
  const state = stateOf(res);
  if (state !== undefined && state !== RELEASED) stopHolding(res, state);
}

function invokeWriteHead(res: ServerResponse, head: HeldWriteHead): ServerResponse {
  return head.reason !== undefined
    ? originalWriteHead.call(res, head.statusCode, head.reason, head.headers)
    : originalWriteHead.call(res, head.statusCode, head.headers);
}

/** Replays the held calls unchanged, in order; the response passes through from here on. */
function releasePending(res: ServerResponse, pending: PendingResponse): void {
  stopHolding(res, pending);
  if (pending.head !== undefined) invokeWriteHead(res, pending.head);
  else if (pending.writes.length > 0) res.statusCode = pending.statusCode; // the status of the first write()'s implicit header
  for (const held of pending.writes) {
    // Callbacks already ran (holdWrite); binary chunks are our copies.
    if (typeof held.chunk === 'string') originalWrite.call(res, held.chunk, held.encoding);
    else originalWrite.call(res, held.bytes);
  }
}

// ---------------------------------------------------------------------------------------------------
// Rewriting at end()

interface RewritePlan {
  head: HeldWriteHead | undefined;
  body: Buffer;
  /** Content-Length was set with setHeader(): set it again to the new length, under the app's spelling of the name. */
  contentLengthName: string | undefined;
  /** The app used write(): send the body with write() too, keeping its framing (chunked without Content-Length). */
  viaWrite: boolean;
  callback: (() => void) | undefined;
}

function declaresLength(value: unknown, length: number): boolean {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  return /^\d+$/.test(text) && Number(text) === length;
}

function rawHeaderName(res: ServerResponse, lowerName: string): string {
  // getRawHeaderNames (Node >= 15.13) is missing from the @types/node version we build with.
  const names = (res as ServerResponse & { getRawHeaderNames?: () => string[] }).getRawHeaderNames?.() ?? [];
  return names.find((name) => name.toLowerCase() === lowerName) ?? lowerName;
}

function planRewrite(
  res: ServerResponse,
  state: PendingResponse | undefined,
  chunk: unknown,
  encoding: unknown,
  callback: unknown,
): RewritePlan | undefined {
  if (ERROR_BODY_FAULT) throw new Error('injected error-body fault (OTEL_AGENT_TEST_FAULTS)');
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

  const head = state?.head;
  const declared = effectiveHeader(res, head?.headers, 'content-length');
  if (declared !== undefined && !declaresLength(declared, total)) return undefined; // the app's framing is already off: not ours to touch

  const spanContext = spanContextOf(res);
  if (spanContext === undefined) return undefined;
  const rewritten = injectTraceIdIntoJsonBody(body, spanContext.traceId, fieldName);
  if (rewritten === undefined) return undefined;

  let newHead = head;
  if (head !== undefined && headerArgValues(head.headers, 'content-length').length > 0) {
    newHead = { ...head, headers: withHeaderArg(head.headers!, 'Content-Length', String(rewritten.length)) };
  }
  return {
    head: newHead,
    body: rewritten,
    contentLengthName: res.hasHeader('content-length') ? rawHeaderName(res, 'content-length') : undefined,
    viaWrite: held.length > 0,
    callback: typeof callback === 'function' ? (callback as () => void) : undefined,
  };
}

function applyRewrite(res: ServerResponse, state: PendingResponse | undefined, plan: RewritePlan): ServerResponse {
  if (state !== undefined) stopHolding(res, state);
  else setState(res, RELEASED);
  if (state !== undefined && state.head === undefined) res.statusCode = state.statusCode;
  if (plan.contentLengthName !== undefined) res.setHeader(plan.contentLengthName, String(plan.body.length));
  if (plan.head !== undefined) invokeWriteHead(res, plan.head);
  if (plan.viaWrite) {
    originalWrite.call(res, plan.body);
    return plan.callback ? originalEnd.call(res, plan.callback) : originalEnd.call(res);
  }
  return plan.callback ? originalEnd.call(res, plan.body, plan.callback) : originalEnd.call(res, plan.body);
}

// ---------------------------------------------------------------------------------------------------
// Install / remove

interface Installed {
  original: AnyMethod;
  /** Whether the prototype had its own property (writeHead) or inherited it from OutgoingMessage (write, end, flushHeaders). */
  hadOwn: boolean;
}

/** Methods whose wrapper is in the prototype chain (also after an unpatch that found another tool's wrapper on top). */
const installed = new Map<PatchedMethod, Installed>();

function setOriginal(method: PatchedMethod, original: AnyMethod): void {
  if (method === 'writeHead') originalWriteHead = original;
  else if (method === 'write') originalWrite = original;
  else if (method === 'end') originalEnd = original;
  else originalFlushHeaders = original;
}

function applySettings(config: AgentConfig): void {
  statusMin = config.errorBodyTraceId ? config.errorStatusMin : Infinity;
  fieldName = config.errorBodyField;
  addTraceHeaders = config.responseHeader;
  writeHeadMin = addTraceHeaders ? -Infinity : statusMin;
}

export const errorBodyTraceIdPatch: AgentPatch = {
  name: 'error-body-trace-id',

  isEnabled(config: AgentConfig): boolean {
    return config.errorBodyTraceId || config.responseHeader;
  },

  patch({ config }: PatchContext): void {
    const proto = http.ServerResponse.prototype as unknown as Record<PatchedMethod, AnyMethod>;
    const missing = PATCHED_METHODS.filter((method) => !installed.has(method) && typeof proto[method] !== 'function');
    if (missing.length > 0) throw new Error(`http.ServerResponse has no ${missing.join(', ')}`);
    for (const method of PATCHED_METHODS) {
      if (installed.has(method)) continue; // idempotent; a wrapper left under another tool's stays in use
      installed.set(method, { original: proto[method], hadOwn: hasOwn(proto, method) });
      setOriginal(method, proto[method]);
      proto[method] = WRAPPERS[method];
    }
    applySettings(config);
  },

  unpatch(): void {
    // A wrapper that stays in a chain (another tool wrapped on top of it) passes everything through.
    statusMin = Infinity;
    writeHeadMin = Infinity;
    addTraceHeaders = false;
    for (const res of [...pendingResponses]) {
      const state = stateOf(res);
      try {
        if (state !== undefined && state !== RELEASED) releasePending(res, state);
        else pendingResponses.delete(res);
      } catch (err) {
        reportInternalError(`${SITE} unpatch`, err);
      }
    }
    const proto = http.ServerResponse.prototype as unknown as Record<PatchedMethod, AnyMethod>;
    for (const [method, { original, hadOwn }] of installed) {
      if (proto[method] !== WRAPPERS[method]) continue;
      if (hadOwn) proto[method] = original;
      else delete (proto as Partial<Record<PatchedMethod, AnyMethod>>)[method];
      installed.delete(method);
    }
  },
};
