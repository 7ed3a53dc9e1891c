/**
 * Which server span belongs to which incoming request, and which request's handler is throwing.
 *
 * Filled by the http instrumentation's requestHook (see instrumentations/catalog.ts), read by the
 * error-path patches: an express error handler or a response body may run in a context where the
 * active span is a middleware span, or none at all, but `req` (or `res.req`) always leads here.
 * A symbol property on the request (it dies with the request): a WeakMap entry per request cost
 * ~4 µs under load on Node 24 (the set plus the collector's ephemeron work).
 */
import { context, SpanStatusCode } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { RPCMetadata } from '@opentelemetry/core';
import type { IncomingMessage, ServerResponse } from 'http';
import { reportInternalError } from '../safe';

const SERVER_SPAN = Symbol('otel-agent.serverSpan');
type RequestWithSpan = IncomingMessage & { [SERVER_SPAN]?: Span };

export function rememberServerSpan(request: IncomingMessage, span: Span): void {
  (request as RequestWithSpan)[SERVER_SPAN] = span;
}

export function serverSpanOf(request: IncomingMessage | undefined | null): Span | undefined {
  return request ? (request as RequestWithSpan)[SERVER_SPAN] : undefined;
}

/**
 * The same SERVER span found from a context instead of a request (an uncaught error has only the
 * context it was thrown in): the http server instrumentation puts `{ type: HTTP, span }` RPC metadata
 * into every request's context. Every patch finds a request's SERVER span through this module.
 */
export function serverSpanInContext(activeContext: Context): Span | undefined {
  const rpcMetadata = getRPCMetadata(activeContext);
  return rpcMetadata?.type === RPCType.HTTP ? rpcMetadata.span : undefined;
}

/**
 * The context of the request whose handler is throwing synchronously right now
 * (instrumentations/http-server/instrumentation.ts). Node runs uncaughtExceptionMonitor before the microtask
 * queue (verified on Node 20 and 24), so the monitor takes it; a throw that some caller catches instead
 * is forgotten at the next microtask and can never be pinned on a later, unrelated error.
 */
let handlerThrowContext: Context | undefined;

export function noteHandlerThrow(requestContext: Context): void {
  handlerThrowContext = requestContext;
  queueMicrotask(() => {
    if (handlerThrowContext === requestContext) handlerThrowContext = undefined;
  });
}

export function takeHandlerThrow(): Context | undefined {
  const taken = handlerThrowContext;
  handlerThrowContext = undefined;
  return taken;
}

/**
 * Server spans whose response has not closed yet. A process that ends in the middle of a request
 * (`process.exit(n)` in a handler, even right after `res.end()`, or a signal) never closes that
 * response, so nothing else would end its span and it would be lost at the exit flush.
 */
interface OpenServerSpan {
  span: Span;
  response: ServerResponse;
  /** The request's RPC metadata, where the express instrumentation writes the route. */
  rpc: RPCMetadata | undefined;
  /** Where it is in `openServerSpans`. */
  index: number;
}

const OPEN_SERVER_SPAN = Symbol('otel-agent.openServerSpan');
type TrackedResponse = ServerResponse & { [OPEN_SERVER_SPAN]?: OpenServerSpan };
/**
 * In no particular order; removal moves the last entry into the hole. An array rather than a Set:
 * every request adds and removes one, and a Set's add/delete hash a fresh object each time (~1 µs per
 * request on Node 24, measured with perf); it is read only when the process exits.
 */
const openServerSpans: OpenServerSpan[] = [];

/**
 * Told about every incoming request, sampled or not, when it starts (metrics/server-request-metrics.ts
 * registers one when metrics are on; otherwise nothing runs here). `rpc` is the request's RPC metadata,
 * whose `route` the framework instrumentations write later, while the request is handled.
 */
export type ServerRequestObserver = (span: Span, response: ServerResponse, rpc: RPCMetadata | undefined) => void;

let serverRequestObserver: ServerRequestObserver | undefined;

/** Sets (or, with undefined, clears) the one observer of incoming requests. */
export function observeServerRequests(observer: ServerRequestObserver | undefined): void {
  serverRequestObserver = observer;
}

/** Called in the request's context (the http instrumentation's responseHook), for every request. */
export function trackOpenServerSpan(span: Span, response: ServerResponse): void {
  const rpcMetadata = getRPCMetadata(context.active());
  const rpc = rpcMetadata?.type === RPCType.HTTP ? rpcMetadata : undefined;
  if (serverRequestObserver !== undefined) {
    try {
      serverRequestObserver(span, response, rpc);
    } catch (err) {
      reportInternalError('request metrics', err); // fail open, without a closure per request
    }
  }
  if (!span.isRecording()) return; // an unsampled span exports nothing: nothing to end at exit
  const entry: OpenServerSpan = { span, response, rpc, index: openServerSpans.length };
  openServerSpans.push(entry);
  (response as TrackedResponse)[OPEN_SERVER_SPAN] = entry;
}

/** The response closed (the http server instrumentation's 'close' listener calls this): its span is no longer open. */
export function forgetOpenServerSpan(response: ServerResponse): void {
  const entry = (response as TrackedResponse)[OPEN_SERVER_SPAN];
  if (entry === undefined) return;
  (response as TrackedResponse)[OPEN_SERVER_SPAN] = undefined;
  if (openServerSpans[entry.index] !== entry) return; // already ended at exit (endOpenServerSpans emptied the list)
  const last = openServerSpans.pop()!;
  if (last !== entry) {
    openServerSpans[entry.index] = last;
    last.index = entry.index;
  }
}

/**
 * Ends every server span still open, with what its response had decided so far (the attributes the
 * http instrumentation sets when a response closes), so the exit flush exports it. Returns how many.
 */
export function endOpenServerSpans(): number {
  let ended = 0;
  const open = openServerSpans.splice(0);
  for (const { span, response, rpc } of open) {
    if (!span.isRecording()) continue;
    if (response.headersSent) {
      span.setAttribute('http.response.status_code', response.statusCode);
      if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (rpc?.route !== undefined) {
      span.setAttribute('http.route', rpc.route);
      span.updateName(`${response.req?.method || 'GET'} ${rpc.route}`);
    }
    span.end();
    ended++;
  }
  return ended;
}

/**
 * Spans whose trace id the agent put into a response body (patches/error-body-trace-id.ts): a client
 * saw that id, so the trace must be kept even when it was not sampled (sdk/keep-by-outcome.ts).
 */
const traceIdShown = new WeakSet<object>();

export function noteTraceIdShown(span: object): void {
  traceIdShown.add(span);
}

export function wasTraceIdShown(span: object): boolean {
  return traceIdShown.has(span);
}
