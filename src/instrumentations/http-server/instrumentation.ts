/**
 * SERVER spans for node:http and node:https servers: the per-request hot path of every traced app.
 *
 * Why ours: upstream's instrumentation-http costs ~13 µs per request on Node 24 even when the request
 * is not sampled (a URL object and URLSearchParams per request, three closures, try/catch wrappers per
 * hook, metric attributes and a duration histogram the agent never exports). The span it produces is
 * the contract: same name, kind, attributes, status, events, parent, context and RPC metadata
 * (request-attributes.ts; test/integration/http-server-differential.test.ts compares the two).
 *
 * Approach: `Server.prototype.emit` of http and https is wrapped (as upstream does: Node's
 * 'http.server.request.start' diagnostics_channel message arrives before 'request' is emitted but
 * cannot make the app's listeners run in the span's context). Node 20 publishes
 * 'http.server.request.start' and 'http.server.response.finish', 22 and 24 also
 * 'http.server.response.created' (seen here on 20.20, 22.23, 24.22); 'finish' never comes for an
 * aborted response, so the span ends on a 'close' listener (one shared function, no closure) rather than
 * on a channel, and no channel is subscribed (a subscriber makes Node publish for every request).
 * For each 'request' event: extract the
 * parent through the global propagator, start the span (the sampler sees the attributes), put the span
 * and its RPC metadata (where express & co write the route) in the context, mark the request and
 * response with it (their listeners run in it later, as upstream's bind; emit-context.ts), call the agent's hooks
 * (request-spans.ts) in it, and run the app's listeners in it under try/finally: any thrown value,
 * falsy or hostile, reaches Node untouched from the app's own line, and its context is noted for the
 * agent's uncaughtExceptionMonitor (patches/process-errors.ts), which records it on the span.
 * The span ends on the response's 'close' (aborted requests too) with the status code and route, or on
 * the response's 'error'. Per request: one state object and one attribute object; the listeners are
 * shared functions that find the state through a symbol on the response.
 *
 * Limitations: 'checkContinue' / 'checkExpectation' events (a server that handles `Expect` itself)
 * are not traced, as upstream. A throw that a caller of `server.emit('request')` catches itself leaves
 * no exception event; the span still ends with the response.
 */
import { context, propagation, ROOT_CONTEXT, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { RPCType, suppressTracing } from '@opentelemetry/core';
import type { RPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { errorMonitor } from 'events';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import { forgetOpenServerSpan, noteHandlerThrow } from '../../patches/request-spans';
import { reportInternalError } from '../../safe';
import { contextWithSpanAndRpc } from '../../sdk/overlay-context';
import { emitInContext, patchEmitContext, unpatchEmitContext } from './emit-context';
import { startServerSpan } from './pending-server-span';
import { incomingRequestAttributes, serverHeaderCapture } from './request-attributes';
import { declareRequestFields } from '../../request-fields';

export interface HttpServerInstrumentationConfig extends InstrumentationConfig {
  /** true: the request runs under suppressTracing, with no span (TRACING_IGNORE_PATHS). */
  ignoreIncomingRequestHook?: (request: IncomingMessage) => boolean;
  /** Called in the request's context for every traced request, recording or not. */
  requestHook?: (span: Span, request: IncomingMessage) => void;
  /** Called in the request's context for every traced request, right after requestHook. */
  responseHook?: (span: Span, response: ServerResponse) => void;
  /** Header names recorded as `http.request.header.<name>` / `http.response.header.<name>` arrays. */
  headersToSpanAttributes?: { requestHeaders?: string[]; responseHeaders?: string[] };
}

type Scheme = 'http' | 'https';
type Emit = (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
type HeaderAttributes = (getHeader: (name: string) => unknown) => Attributes;

const { name: PACKAGE_NAME, version: PACKAGE_VERSION } = require('../../../../package.json') as { name: string; version: string };

/** What the shared response listeners need, kept on the response under REQUEST_SPAN. */
interface RequestSpanState {
  readonly span: Span;
  readonly request: IncomingMessage;
  readonly rpc: RPCMetadata;
  readonly captureResponseHeaders: HeaderAttributes | undefined;
  ended: boolean;
}

const REQUEST_SPAN = Symbol('otel-agent.requestSpan');
type TracedResponse = ServerResponse & { [REQUEST_SPAN]?: RequestSpanState };

export class HttpServerInstrumentation extends InstrumentationBase<HttpServerInstrumentationConfig> {
  // `declare`: the base constructor calls setConfig, which sets these; a field initializer would reset them.
  declare private _captureRequestHeaders: HeaderAttributes | undefined;
  declare private _captureResponseHeaders: HeaderAttributes | undefined;

  constructor(config: HttpServerInstrumentationConfig = {}) {
    super(`${PACKAGE_NAME}/http-server`, PACKAGE_VERSION, config);
  }

  override setConfig(config: HttpServerInstrumentationConfig = {}): void {
    super.setConfig(config);
    const capture = serverHeaderCapture(config.headersToSpanAttributes?.requestHeaders ?? [], config.headersToSpanAttributes?.responseHeaders ?? []);
    this._captureRequestHeaders = capture.request;
    this._captureResponseHeaders = capture.response;
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [this._serverModule('https'), this._serverModule('http')];
  }

  private _serverModule(scheme: Scheme): InstrumentationNodeModuleDefinition {
    return new InstrumentationNodeModuleDefinition(
      scheme,
      ['*'],
      (moduleExports: typeof import('http')) => {
        // `require` and `import` both reach here with the same prototype: wrap it once.
        const prototype = moduleExports.Server.prototype;
        if (!isWrapped(prototype.emit)) this._wrap(prototype, 'emit', (original) => this._emitWithServerSpans(scheme, original as Emit) as never);
        // https servers hand out http's request and response classes (also when the app never requires http).
        const http = scheme === 'http' ? moduleExports : (require('http') as typeof import('http'));
        patchEmitContext(http.IncomingMessage.prototype);
        patchEmitContext(http.ServerResponse.prototype);
        return moduleExports;
      },
      (moduleExports: typeof import('http') | undefined) => {
        if (moduleExports !== undefined && isWrapped(moduleExports.Server.prototype.emit)) this._unwrap(moduleExports.Server.prototype, 'emit');
        const http = require('http') as typeof import('http');
        unpatchEmitContext(http.IncomingMessage.prototype);
        unpatchEmitContext(http.ServerResponse.prototype);
      },
    );
  }

  private _emitWithServerSpans(scheme: Scheme, original: Emit): Emit {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the returned emit runs with the server as `this`
    const instrumentation = this;
    return function emitWithServerSpan(this: Server, event: string | symbol) {
      if (event !== 'request') return Reflect.apply(original, this, arguments) as boolean;
      const requestContext = instrumentation._startRequest(scheme, arguments[1] as IncomingMessage, arguments[2] as ServerResponse);
      if (requestContext === undefined) return Reflect.apply(original, this, arguments) as boolean;
      // try/finally without catch: the thrown value, and the location Node reports for it, stay the app's.
      let threw = true;
      try {
        // One context.with for the hooks and the app; no thisArg: context.with would bind a new function.
        const result = context.with(requestContext, runInRequestContext, undefined, instrumentation._config, original, this, arguments);
        threw = false;
        return result;
      } finally {
        if (threw) noteHandlerThrow(requestContext);
      }
    };
  }

  /** The context the app's listeners run in, or undefined to run them untouched (an internal error). */
  private _startRequest(scheme: Scheme, request: IncomingMessage, response: ServerResponse): Context | undefined {
    try {
      declareRequestFields(request, response);
      const config = this._config;
      if (config.ignoreIncomingRequestHook !== undefined && this._isIgnored(config.ignoreIncomingRequestHook, request)) {
        const suppressed = suppressTracing(context.active());
        emitInContext(request, suppressed);
        emitInContext(response, suppressed);
        return suppressed;
      }
      const attributes = incomingRequestAttributes(request, scheme, this._diag);
      if (this._captureRequestHeaders !== undefined)
        Object.assign(
          attributes,
          this._captureRequestHeaders((name) => request.headers[name]),
        );
      const parentContext = propagation.extract(ROOT_CONTEXT, request.headers);
      const span = startServerSpan(this.tracer, request.method || 'GET', attributes, parentContext);
      const rpc: RPCMetadata = { type: RPCType.HTTP, span };
      const requestContext = contextWithSpanAndRpc(parentContext, span, rpc);
      emitInContext(request, requestContext);
      emitInContext(response, requestContext);
      (response as TracedResponse)[REQUEST_SPAN] = { span, request, rpc, captureResponseHeaders: this._captureResponseHeaders, ended: false };
      return requestContext;
    } catch (err) {
      reportInternalError('http server span start', err);
      return undefined;
    }
  }

  private _isIgnored(ignore: (request: IncomingMessage) => boolean, request: IncomingMessage): boolean {
    try {
      return Boolean(ignore(request)); // truthy, as upstream
    } catch (err) {
      this._diag.error('caught ignoreIncomingRequestHook error: ', err);
      return false;
    }
  }
}

/**
 * Runs in the request's context: the agent's hooks, the span's response listeners (after the hooks',
 * as upstream orders them), then the app's 'request' listeners.
 */
function runInRequestContext(config: HttpServerInstrumentationConfig, original: Emit, server: Server, args: IArguments): boolean {
  const response = args[2] as TracedResponse;
  const state = response[REQUEST_SPAN];
  if (state !== undefined) {
    if (config.requestHook !== undefined || config.responseHook !== undefined) callHooks(config, state.span, state.request, response);
    try {
      response.on('close', endSpanOnResponseClose);
      response.on(errorMonitor, endSpanOnResponseError);
    } catch (err) {
      reportInternalError('http server span listeners', err);
    }
  }
  return Reflect.apply(original, server, args) as boolean;
}

function callHooks(config: HttpServerInstrumentationConfig, span: Span, request: IncomingMessage, response: ServerResponse): void {
  try {
    config.requestHook?.(span, request);
  } catch (err) {
    reportInternalError('http server requestHook', err);
  }
  try {
    config.responseHook?.(span, response);
  } catch (err) {
    reportInternalError('http server responseHook', err);
  }
}

/** 'close' comes for every response, finished or aborted (upstream ends the span there too). */
function endSpanOnResponseClose(this: TracedResponse): void {
  forgetOpenServerSpan(this); // here rather than in a listener of its own: each listener is paid in every emit of 'close'
  const state = this[REQUEST_SPAN];
  if (state === undefined || state.ended) return;
  state.ended = true;
  try {
    const span = state.span;
    if (span.isRecording()) {
      const statusCode = this.statusCode;
      span.setAttribute('http.response.status_code', statusCode);
      const route = state.rpc.route;
      if (route !== undefined) span.setAttribute('http.route', route);
      if (state.captureResponseHeaders !== undefined) span.setAttributes(state.captureResponseHeaders((name) => this.getHeader(name)));
      // upstream's parseResponseStatus for SERVER spans: 1xx-4xx unset, anything else an error.
      span.setStatus({ code: statusCode >= 100 && statusCode < 500 ? SpanStatusCode.UNSET : SpanStatusCode.ERROR });
      if (route) span.updateName(`${state.request.method || 'GET'} ${route}`);
    }
    span.end();
  } catch (err) {
    reportInternalError('http server span end', err);
  }
}

/** A response 'error' ends the span with it; 'close' after it changes nothing (upstream's hasError). */
function endSpanOnResponseError(this: TracedResponse, error: unknown): void {
  const state = this[REQUEST_SPAN];
  if (state === undefined || state.ended) return;
  state.ended = true;
  try {
    const span = state.span;
    // upstream's setSpanWithError, reading the error's fields once and never throwing into the emit.
    const { name, message } = error as { name?: unknown; message?: unknown };
    span.setAttribute('error.type', name as string);
    span.setStatus({ code: SpanStatusCode.ERROR, message: message as string });
    span.recordException(error as Error);
    span.end();
  } catch (err) {
    reportInternalError('http server span error', err);
  }
}
