/**
 * Every error in an express request ends as ONE `exception` event on the request's SERVER span.
 *
 * Approach: express routes every error, whatever its origin, through two places, and we wrap both:
 * 1. the layer error dispatch, called for each matching layer while an error is pending: this is how
 *    the app's own 4-argument error middleware receives it (express 4
 *    `express/lib/router/layer.js` Layer.prototype.handle_error; express 5 the `router` package's
 *    `lib/layer.js` Layer.prototype.handleError). A synchronous throw, a rejected promise (express 5),
 *    `next(err)` and a throw inside an error middleware all arrive here the same way.
 * 2. the router's final callback, `handle(req, res, out)`'s `out`: an error no layer took arrives there,
 *    on its way to express's default final handler or to the enclosing router (express 4
 *    `express/lib/router/index.js` proto.handle; express 5 `router` Router.prototype.handle).
 * The first sighting records the error on `serverSpanOf(req)`; record-exception dedupes by identity, so
 * an error crossing nested routers, several layers and the final callback is still one event.
 * Errors are only observed: the same arguments go on to the same functions, so the app's error
 * middleware still runs and decides the response, and express's final handler answers as before.
 * A span is marked ERROR unless the error carries a 4xx status (`err.status = 404`, http-errors).
 * express 4 and 5 are told apart by shape (`Router.prototype.handle` vs `Router.handle`,
 * `handleError` vs `handle_error`); the files only exist in their own major version anyway.
 * Upstream's express instrumentation keeps recording the error on the LAYER span where it arose.
 *
 * Limitations:
 * - Hooks run when express is required: an express loaded before the agent (no `-r`) is not patched.
 * - An error replaced by another one (an error middleware calling `next(new Error(...))`) is a second
 *   error, so a second event; the span keeps the last error's `error.type`.
 * - The server span comes from the http instrumentation's requestHook: without the http
 *   instrumentation nothing is recorded.
 * - @opentelemetry/instrumentation-router wraps the same `router` Layer methods. Its hook runs first
 *   (upstream instrumentations are registered before the agent's patches) and we stack on top of it;
 *   were the order reversed, its `_wrap` would unwrap ours (it unwraps any wrapper it finds).
 */
import type { IncomingMessage } from 'http';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped } from '@opentelemetry/instrumentation';
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';
import { isServerFailure, recordExceptionOnSpan } from '../errors/record-exception';
import { reportInternalError } from '../safe';
import { serverSpanOf } from './request-spans';
import type { AgentPatch, PatchContext } from './types';
import { type AnyFunction, callRouterHandleWithOut, type MethodHolder, routerHandleHolder, stackWrapper } from '../instrumentations/express/method-wrapping';

/** express 4 Layer / router 2 Layer: only the error-dispatch method matters here. */
interface LayerExports {
  prototype?: MethodHolder;
}

const AGENT_VERSION = (require('../../../package.json') as { version: string }).version;
const ROUTING_SIGNALS = new Set<unknown>(['route', 'router']);

interface RecordingState {
  captureStacktrace: boolean;
  logger: AgentLogger;
}

/** Set while patched; wrappers left in a chain after unpatch (another tool stacked on top) go inert. */
let recording: RecordingState | undefined;
let instrumentation: ExpressErrorsInstrumentation | undefined;
/** Our wrappers, so patching is idempotent and unpatching touches only properties that still hold ours. */
const ourWrappers = new WeakSet<object>();

/** Records an error seen in the pipeline of `request` on its server span, once. */
function recordPipelineError(request: IncomingMessage, error: unknown): void {
  const state = recording;
  // express treats anything but an empty value, 'route' and 'router' as an error (router/index.js next()).
  if (!state || !error || ROUTING_SIGNALS.has(error)) return;
  try {
    recordExceptionOnSpan(serverSpanOf(request), error, { captureStacktrace: state.captureStacktrace, markError: isServerFailure(error) });
  } catch (err) {
    reportInternalError('express error recording', err);
  }
}

function wrapLayerErrorDispatch(original: AnyFunction): AnyFunction {
  // All four parameters declared: the wrapper keeps the original's arity.
  return function recordedHandleError(this: unknown, error: unknown, request: IncomingMessage, response: unknown, next: unknown) {
    recordPipelineError(request, error);
    return original.apply(this, arguments as unknown as unknown[]);
  };
}

function wrapRouterHandle(original: AnyFunction): AnyFunction {
  return function recordedRouterHandle(this: unknown, request: IncomingMessage, response: unknown, out: unknown) {
    if (!recording || typeof out !== 'function') return original.apply(this, arguments as unknown as unknown[]);
    // `out` is express's final handler, or the enclosing router's next(): the last place an error that
    // no layer took passes before express answers it.
    const outRecordingError = function outRecordingError(this: unknown, error?: unknown) {
      recordPipelineError(request, error);
      return (out as AnyFunction).apply(this, arguments as unknown as unknown[]);
    };
    return callRouterHandleWithOut(original, this, arguments, outRecordingError);
  };
}

/**
 * Installs shimmer-style wrappers with the patched library's require hooks.
 * One instance per process; `disable()` is unpatch, `enable()` patches again what is already loaded.
 */
class ExpressErrorsInstrumentation extends InstrumentationBase {
  constructor() {
    super('@x/otel-agent/express-errors', AGENT_VERSION, {});
  }

  protected override init() {
    const patchLayer = (exports: LayerExports) => this._patchLayer(exports);
    const unpatchLayer = (exports: LayerExports) => this._unpatchLayer(exports);
    const patchRouter = (exports: unknown) => this._patchRouter(exports);
    const unpatchRouter = (exports: unknown) => this._unpatchRouter(exports);
    return [
      // express 4 carries its own router (express/lib/router); nothing to do on express's main module.
      new InstrumentationNodeModuleDefinition('express', ['>=4.0.0 <5'], undefined, undefined, [
        new InstrumentationNodeModuleFile('express/lib/router/layer.js', ['>=4.0.0 <5'], patchLayer, unpatchLayer),
        new InstrumentationNodeModuleFile('express/lib/router/index.js', ['>=4.0.0 <5'], patchRouter, unpatchRouter),
      ]),
      // express 5 delegates routing to the `router` package (express/lib/application.js requires it).
      new InstrumentationNodeModuleDefinition('router', ['>=2.0.0 <3'], patchRouter, unpatchRouter, [
        new InstrumentationNodeModuleFile('router/lib/layer.js', ['>=2.0.0 <3'], patchLayer, unpatchLayer),
      ]),
    ];
  }

  private _patchLayer(exports: LayerExports): LayerExports {
    const prototype = exports?.prototype;
    const method = layerErrorMethod(prototype);
    if (prototype && method) this._wrapMethod(prototype, method, wrapLayerErrorDispatch);
    else
      recording?.logger.warnOnce(
        'express-errors:layer-shape',
        'express-errors: unknown express Layer shape; errors handled by error middleware are not recorded on server spans',
      );
    return exports;
  }

  private _unpatchLayer(exports: LayerExports): void {
    const prototype = exports?.prototype;
    const method = layerErrorMethod(prototype);
    if (prototype && method) this._unwrapMethod(prototype, method);
  }

  private _patchRouter(exports: unknown): unknown {
    const holder = routerHandleHolder(exports);
    if (holder) this._wrapMethod(holder, 'handle', wrapRouterHandle);
    else
      recording?.logger.warnOnce(
        'express-errors:router-shape',
        'express-errors: unknown express Router shape; errors reaching the final handler are not recorded on server spans',
      );
    return exports;
  }

  private _unpatchRouter(exports: unknown): void {
    const holder = routerHandleHolder(exports);
    if (holder) this._unwrapMethod(holder, 'handle');
  }

  private _wrapMethod(target: MethodHolder, name: string, makeWrapper: (original: AnyFunction) => AnyFunction): void {
    const current = target[name];
    if (typeof current !== 'function' || ourWrappers.has(current)) return;
    // InstrumentationBase._wrap first unwraps any shimmer wrapper it finds, assuming it is its own;
    // another instrumentation's wrapper (instrumentation-router's) must survive, so we stack on it.
    const wrapped = isWrapped(current) ? stackWrapper(target, name, makeWrapper) : this._wrap(target, name, makeWrapper as (original: unknown) => unknown);
    if (wrapped) ourWrappers.add(wrapped);
  }

  private _unwrapMethod(target: MethodHolder, name: string): void {
    // Only while the property still holds our wrapper: a later tool's wrapper on top stays in place
    // (ours, left below it, goes inert because `recording` is cleared).
    if (ourWrappers.has(target[name] as object)) this._unwrap(target, name);
  }
}

/** express 4 / router 1: `handle_error`; router 2 (express 5): `handleError`. */
function layerErrorMethod(prototype: MethodHolder | undefined): 'handleError' | 'handle_error' | undefined {
  if (typeof prototype?.handleError === 'function') return 'handleError';
  if (typeof prototype?.handle_error === 'function') return 'handle_error';
  return undefined;
}

export const expressErrorsPatch: AgentPatch = {
  name: 'express-errors',
  // The event goes on the server span, which only the http instrumentation creates.
  isEnabled: (config: AgentConfig) => config.instrumentations.includes('http'),
  patch({ config, logger }: PatchContext) {
    recording = { captureStacktrace: config.captureStacktrace, logger };
    if (instrumentation) instrumentation.enable();
    else instrumentation = new ExpressErrorsInstrumentation();
  },
  unpatch() {
    recording = undefined;
    instrumentation?.disable();
  },
};
