/**
 * The agent's express 4/5 instrumentation: the request's route for the SERVER span (RPC metadata
 * `route`, which the http instrumentation turns into the span name and `http.route`), and layer spans
 * as TRACING_EXPRESS_MIDDLEWARE_SPANS says (auto | all | none; see request-pipeline.ts and README).
 *
 * Approach: patch once, at load, where express dispatches (never a function per layer or per request
 * per layer, and the app's functions are never wrapped, so `next === req.next` and `fn.length` are
 * what express made them):
 * - registration: `Router.route`, `Router.use` and `application.use` mark the layer they add with
 *   the path it was registered with (upstream's `getLayerPath`; only the last layer of a call, as
 *   upstream does);
 * - the layer's request and error dispatch on the Layer prototype (express 4
 *   `express/lib/router/layer.js` handle_request / handle_error; express 5 the `router` package's
 *   `lib/layer.js` handleRequest / handleError);
 * - `Router.handle(req, res, out)` (express 4 `express/lib/router/index.js`, router 2 `index.js`),
 *   whose `out` tells us when a router is done with the request (one function per router per request).
 * Variants are told apart by shape, not version. Every hook runs our code in a try/catch and then the
 * original with the same arguments: an internal error never changes what express does.
 *
 * Limitations:
 * - upstream's config hooks (requestHook, spanNameHook, ignoreLayers) are not offered.
 * - A layer ends when its router dispatches the next layer (upstream: when it calls `next`), a few
 *   microseconds later; a layer that throws ends when express hands the error on (upstream: at the
 *   response's close).
 * - `next(0)`, `next('')`, `next(false)` are not errors to express and are not recorded (upstream's
 *   wrapper recorded them on the layer span).
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped } from '@opentelemetry/instrumentation';
import { context } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'http';
import type { ExpressMiddlewareSpanMode } from '../../config/types';
import { reportInternalError } from '../../safe';
import { layerPathOf } from './route-store';
import { enterLayer, enterLayerWithError, enterRouter, kLayerPath, leaveRouter } from './request-pipeline';
import type { MarkedLayer, PipelineSettings } from './request-pipeline';
import { type AnyFunction, callRouterHandleWithOut, type MethodHolder, routerHandleHolder, stackWrapper } from './method-wrapping';

const AGENT_VERSION = (require('../../../../package.json') as { version: string }).version;
export const EXPRESS_INSTRUMENTATION_NAME = '@x/otel-agent/express';

export interface AgentExpressInstrumentationConfig {
  middlewareSpans: ExpressMiddlewareSpanMode;
}

interface ExpressExports {
  Router?: MethodHolder & { prototype?: MethodHolder };
  application?: MethodHolder;
}

/** Marks the layer a registration call just added, unless another call already did (upstream's kLayerPatched guard). */
function markLastLayer(stack: unknown, registrationArgs: ArrayLike<unknown>): void {
  if (!Array.isArray(stack) || stack.length === 0) return;
  const layer = stack[stack.length - 1] as MarkedLayer;
  if (layer === null || typeof layer !== 'object' || layer[kLayerPath] !== undefined) return;
  Object.defineProperty(layer, kLayerPath, { value: { path: layerPathOf(registrationArgs) }, configurable: true, writable: true });
}

function markingRegistration(original: AnyFunction): AnyFunction {
  return function route_use_marked(this: { stack?: unknown }) {
    const result = original.apply(this, arguments as unknown as unknown[]);
    try {
      markLastLayer(this.stack, arguments);
    } catch (err) {
      reportInternalError('express layer registration', err);
    }
    return result;
  };
}

function markingAppUse(isExpress5: boolean) {
  return (original: AnyFunction): AnyFunction =>
    function app_use_marked(this: { router?: { stack?: unknown }; _router?: { stack?: unknown } }) {
      // Read before use(): express 4 creates `_router` lazily inside it, upstream reads it before too.
      let router: { stack?: unknown } | undefined;
      try {
        router = isExpress5 ? this.router : this._router;
      } catch {
        router = undefined;
      }
      const result = original.apply(this, arguments as unknown as unknown[]);
      try {
        if (router) markLastLayer(router.stack, arguments);
      } catch (err) {
        reportInternalError('express layer registration', err);
      }
      return result;
    };
}

export class AgentExpressInstrumentation extends InstrumentationBase {
  private readonly _settings: PipelineSettings;

  constructor(config: AgentExpressInstrumentationConfig) {
    super(EXPRESS_INSTRUMENTATION_NAME, AGENT_VERSION, {});
    this._settings = { mode: config.middlewareSpans, tracer: () => this.tracer };
  }

  protected override init() {
    const patchLayer = (exports: { prototype?: MethodHolder }) => this._patchLayer(exports);
    const unpatchLayer = (exports: { prototype?: MethodHolder }) => this._unpatchLayer(exports);
    const patchRouter = (exports: unknown) => this._patchRouterHandle(exports);
    const unpatchRouter = (exports: unknown) => this._unpatchRouterHandle(exports);
    return [
      new InstrumentationNodeModuleDefinition(
        'express',
        ['>=4.0.0 <6'],
        (exports: ExpressExports) => this._patchRegistration(exports),
        (exports: ExpressExports) => this._unpatchRegistration(exports),
        [
          // express 4 carries its own router.
          new InstrumentationNodeModuleFile('express/lib/router/layer.js', ['>=4.0.0 <5'], patchLayer, unpatchLayer),
          new InstrumentationNodeModuleFile('express/lib/router/index.js', ['>=4.0.0 <5'], patchRouter, unpatchRouter),
        ],
      ),
      // express 5 routes through the `router` package.
      new InstrumentationNodeModuleDefinition('router', ['>=2.0.0 <3'], patchRouter, unpatchRouter, [
        new InstrumentationNodeModuleFile('router/lib/layer.js', ['>=2.0.0 <3'], patchLayer, unpatchLayer),
      ]),
    ];
  }

  private _patchRegistration(exports: ExpressExports): ExpressExports {
    const isExpress5 = typeof exports?.Router?.prototype?.route === 'function';
    const routerProto = isExpress5 ? exports.Router!.prototype! : exports?.Router;
    if (!routerProto || !exports.application) return exports;
    this._rewrap(routerProto, 'route', markingRegistration);
    this._rewrap(routerProto, 'use', markingRegistration);
    this._rewrap(exports.application, 'use', markingAppUse(isExpress5));
    return exports;
  }

  private _unpatchRegistration(exports: ExpressExports): void {
    if (exports === undefined) return;
    const isExpress5 = typeof exports?.Router?.prototype?.route === 'function';
    const routerProto = isExpress5 ? exports.Router!.prototype! : exports?.Router;
    if (routerProto) {
      this._unwrapOurs(routerProto, 'route');
      this._unwrapOurs(routerProto, 'use');
    }
    if (exports.application) this._unwrapOurs(exports.application, 'use');
  }

  private _patchLayer(exports: { prototype?: MethodHolder }) {
    const proto = exports?.prototype;
    if (!proto) return exports;
    const settings = this._settings;
    const requestMethod = typeof proto.handleRequest === 'function' ? 'handleRequest' : 'handle_request';
    const errorMethod = typeof proto.handleError === 'function' ? 'handleError' : 'handle_error';
    this._rewrap(
      proto,
      requestMethod,
      (original) =>
        // Named like express's own, three parameters: the arity stays what express declares.
        function handleRequest_traced(this: MarkedLayer, req: IncomingMessage, res: ServerResponse, next: unknown) {
          let layerContext;
          try {
            layerContext = enterLayer(settings, this, req, res);
          } catch (err) {
            reportInternalError('express layer', err);
          }
          if (layerContext === undefined) return original.apply(this, arguments as unknown as unknown[]);
          // No thisArg: context.with would bind a new function for it.
          return context.with(layerContext, Reflect.apply, undefined, original, this, arguments);
        },
    );
    this._rewrap(
      proto,
      errorMethod,
      (original) =>
        function handleError_traced(this: MarkedLayer, error: unknown, req: IncomingMessage, res: ServerResponse, next: unknown) {
          let layerContext;
          try {
            layerContext = enterLayerWithError(this, req, error);
          } catch (err) {
            reportInternalError('express layer error', err);
          }
          if (layerContext === undefined) return original.apply(this, arguments as unknown as unknown[]);
          return context.with(layerContext, Reflect.apply, undefined, original, this, arguments);
        },
    );
    return exports;
  }

  private _unpatchLayer(exports: { prototype?: MethodHolder }): void {
    const proto = exports?.prototype;
    if (!proto) return;
    for (const method of ['handleRequest', 'handle_request', 'handleError', 'handle_error']) this._unwrapOurs(proto, method);
  }

  private _patchRouterHandle(exports: unknown) {
    const holder = routerHandleHolder(exports);
    if (!holder) return exports;
    const settings = this._settings;
    this._rewrap(
      holder,
      'handle',
      (original) =>
        function handle_traced(this: unknown, req: IncomingMessage, res: ServerResponse, out: unknown) {
          if (typeof out !== 'function') return original.apply(this, arguments as unknown as unknown[]);
          let frame;
          try {
            frame = enterRouter(settings, req);
          } catch (err) {
            reportInternalError('express router', err);
          }
          if (frame === undefined) return original.apply(this, arguments as unknown as unknown[]);
          const entered = frame;
          const routerDone = function routerDone(this: unknown, error?: unknown) {
            try {
              leaveRouter(req, entered, error);
            } catch (err) {
              reportInternalError('express router', err);
            }
            return (out as AnyFunction).apply(this, arguments as unknown as unknown[]);
          };
          return callRouterHandleWithOut(original, this, arguments, routerDone);
        },
    );
    return exports;
  }

  private _unpatchRouterHandle(exports: unknown): void {
    const holder = routerHandleHolder(exports);
    if (holder) this._unwrapOurs(holder, 'handle');
  }

  /** Only while the property holds our wrapper: a later tool's wrapper on top stays in place. */
  private _unwrapOurs(target: MethodHolder, name: string): void {
    if ((target[name] as { __otelAgentExpress?: boolean } | undefined)?.__otelAgentExpress === true) this._unwrap(target, name);
  }

  /**
   * `_wrap`, after taking off a wrapper of ours left from an earlier enable(). InstrumentationBase's
   * `_wrap` would take off any shimmer wrapper it finds (e.g. express-errors' or
   * instrumentation-router's), so those we stack on instead.
   */
  private _rewrap(target: MethodHolder, name: string, makeWrapper: (original: AnyFunction) => AnyFunction): void {
    const current = target[name] as { __otelAgentExpress?: boolean } | undefined;
    if (typeof current !== 'function') return;
    this._unwrapOurs(target, name);
    const wrapped = isWrapped(target[name])
      ? stackWrapper(target, name, makeWrapper)
      : (this._wrap(target, name, makeWrapper as (original: unknown) => unknown) as unknown);
    if (typeof wrapped === 'function') Object.defineProperty(wrapped, '__otelAgentExpress', { value: true });
  }
}
