/**
 * What one express request is doing right now: the routers it is in, the layer running in each, the
 * mount paths that make its route, and the layer spans still open. Called from the three dispatch
 * points instrumentation.ts patches once on the prototypes (Router handle, Layer request dispatch,
 * Layer error dispatch), so no function is created per layer.
 *
 * Equivalence with @opentelemetry/instrumentation-express 0.70 (build/src/instrumentation.js
 * `_applyPatch`), which wraps each layer's handle and each layer's `next`:
 * - upstream pushes a layer's mount path when the layer runs and pops it when the layer calls `next()`
 *   (not when it calls `next(err)` while `req.route` is set). A layer calls `next()` exactly when its
 *   router dispatches the following layer or gives up (its `out`), so we pop lazily there: the paths
 *   of a router's layers go back to what they were when the router started (`Frame.base`), and an
 *   error with `req.route` raises that mark instead, keeping the paths as upstream does.
 * - upstream ends a layer's span when it calls `next` (recording a non-empty, non-`route` value as the
 *   error), or when the response closes. We end it at the same two moments as seen from outside: the
 *   router's next dispatch or its `out` (an error dispatch carries the error), or the response's
 *   `close` (one listener per request).
 * - upstream's `next` wrapper runs the following layer with the router's parent span active again (so
 *   siblings do not nest); we set the frame's parent span at each dispatch.
 * - router spans end at once and are not made active; error middleware (4 arguments) gets no span and
 *   no route bookkeeping.
 */
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { RPCMetadata } from '@opentelemetry/core';
import type { IncomingMessage, ServerResponse } from 'http';
import type { ExpressMiddlewareSpanMode } from '../../config/types';
import { safeAsErrorAndMessage } from '../express-semantics';
import { contextWithSpan } from '../../sdk/overlay-context';
import { DeferredLayerSpan } from './deferred-layer-span';
import { layerMetadataOf, layerTypeOf } from './layer-metadata';
import type { ExpressLayer } from './layer-metadata';
import { constructedRouteOf, matchedRouteOf } from './route-store';
import { EXPRESS_PIPELINE as kPipeline } from '../../request-fields';

/** Set on a layer when it is registered through use/route: the path it was registered with. */
export const kLayerPath = Symbol('otel-agent.expressLayerPath');

export interface MarkedLayer extends ExpressLayer {
  [kLayerPath]?: { path: string | undefined };
}

type LayerSpan = Span | DeferredLayerSpan;

/** One Router.handle call for this request. */
interface Frame {
  /** Length of `paths` when the router started: its layers' paths are above it. */
  base: number;
  /** The span the router's layers' spans are children of (the one active when it started). */
  parentSpan: Span | undefined;
  /** The span of the layer of this router that is running (undefined: none, or no spans for it). */
  open: LayerSpan | undefined;
}

interface Pipeline {
  paths: string[];
  frames: Frame[];
  rpcMetadata: RPCMetadata | undefined;
  /** Whether this request gets layer spans: a mode other than none, and a recording parent. */
  traced: boolean;
  /** The route for `paths`, recomputed only when they change. */
  route: string | undefined;
  constructedRoute: string;
  routeIsStale: boolean;
  closeListened: boolean;
}

export interface PipelineSettings {
  mode: ExpressMiddlewareSpanMode;
  tracer: () => Tracer;
}

type PipelineRequest = IncomingMessage & { [kPipeline]?: Pipeline; originalUrl?: string; route?: unknown };
type PipelineResponse = ServerResponse & { [kPipeline]?: Pipeline };

/** A router starts handling the request: returns its frame (the request's pipeline is created on the first). */
export function enterRouter(settings: PipelineSettings, request: PipelineRequest): Frame {
  let pipeline = request[kPipeline];
  const active = context.active();
  if (pipeline === undefined) {
    const parent = trace.getSpan(active);
    const rpcMetadata = getRPCMetadata(active);
    pipeline = {
      paths: [],
      frames: [],
      rpcMetadata: rpcMetadata?.type === RPCType.HTTP ? rpcMetadata : undefined,
      // Unsampled requests (a non-recording parent) get no span objects at all.
      traced: settings.mode !== 'none' && parent !== undefined && parent.isRecording(),
      route: undefined,
      constructedRoute: '',
      routeIsStale: true,
      closeListened: false,
    };
    // A plain symbol property: Object.defineProperty on the request would move it out of V8's fast
    // properties, and express reads req's properties all along the pipeline. Declared when the
    // request arrived (request-fields.ts), so this write does not change the request's shape.
    request[kPipeline] = pipeline;
  }
  const frame: Frame = { base: pipeline.paths.length, parentSpan: pipeline.traced ? trace.getSpan(active) : undefined, open: undefined };
  pipeline.frames.push(frame);
  return frame;
}

/** The router gave up on the request (its `out`): it and any router inside it are done. */
export function leaveRouter(request: PipelineRequest, frame: Frame, error: unknown): void {
  const pipeline = request[kPipeline];
  if (pipeline === undefined) return;
  const index = pipeline.frames.lastIndexOf(frame);
  if (index < 0) return;
  for (let i = pipeline.frames.length - 1; i >= index; i--) endOpenSpan(pipeline.frames[i], error);
  pipeline.frames.length = index;
  // The enclosing layer called next(err) with a route set: upstream keeps its path.
  if (index > 0 && isLayerError(error) && request.route) keepPaths(pipeline, pipeline.frames[index - 1]);
}

/**
 * A layer of the current router is about to handle the request. Returns the context to run it in
 * when it gets a span, else undefined (run it as it is).
 */
export function enterLayer(settings: PipelineSettings, layer: MarkedLayer, request: PipelineRequest, response: PipelineResponse): Context | undefined {
  const marked = layer[kLayerPath];
  const pipeline = request[kPipeline];
  if (marked === undefined || pipeline === undefined) return undefined;
  const frame = pipeline.frames[pipeline.frames.length - 1];
  if (frame === undefined) return undefined;
  // The previous layer of this router called next(): it is done.
  endOpenSpan(frame, undefined);
  // Error middleware is not run for a request without an error (Layer's own `fn.length > 3` check).
  if (typeof layer.handle !== 'function' || (layer.handle as () => void).length > 3) return undefined;

  enterPath(pipeline, frame, marked.path);
  if (pipeline.routeIsStale) {
    pipeline.constructedRoute = constructedRouteOf(pipeline.paths);
    pipeline.route = matchedRouteOf(pipeline.paths, pipeline.constructedRoute, request.originalUrl ?? request.url ?? '');
    pipeline.routeIsStale = false;
  }
  if (pipeline.rpcMetadata !== undefined) pipeline.rpcMetadata.route = pipeline.route;
  if (!pipeline.traced) return undefined;

  const parentContext = contextWithParentOf(frame);
  const type = layerTypeOf(layer);
  // auto: a router span is upstream's zero-length marker (ended at once, never a parent, never an error).
  if (type === 'router' && settings.mode !== 'all') return parentContext;
  const metadata = layerMetadataOf(type, pipeline.constructedRoute, layer, marked.path);
  if (pipeline.route !== undefined) metadata.attributes['http.route'] = pipeline.route;
  const tracer = settings.tracer();
  if (type === 'router') {
    tracer.startSpan(metadata.name, { attributes: metadata.attributes }, parentContext).end();
    return parentContext;
  }
  const span =
    settings.mode === 'all'
      ? tracer.startSpan(metadata.name, { attributes: metadata.attributes }, parentContext)
      : new DeferredLayerSpan(tracer, metadata.name, metadata.attributes, parentContext, performance.now());
  frame.open = span;
  if (!pipeline.closeListened) {
    pipeline.closeListened = true;
    response[kPipeline] = pipeline;
    response.on('close', endLayerSpansOnClose);
  }
  return contextWithSpan(parentContext, span);
}

/**
 * A layer of the current router is about to see an error: the layer that raised it is done. Returns
 * the context to run the layer in (its router's parent span again) when that differs from the active one.
 */
export function enterLayerWithError(layer: MarkedLayer, request: PipelineRequest, error: unknown): Context | undefined {
  const pipeline = request[kPipeline];
  if (layer[kLayerPath] === undefined || pipeline === undefined) return undefined;
  const frame = pipeline.frames[pipeline.frames.length - 1];
  if (frame === undefined) return undefined;
  if (request.route && isLayerError(error)) keepPaths(pipeline, frame);
  endOpenSpan(frame, error);
  return pipeline.traced ? contextWithParentOf(frame) : undefined;
}

/**
 * The active context with the router's parent span as the active span: the layer before may have
 * called next() inside its own span's context (upstream's `next` wrapper restores the parent likewise,
 * keeping the rest of the context, e.g. baggage a middleware set).
 */
function contextWithParentOf(frame: Frame): Context {
  const active = context.active();
  if (frame.parentSpan === undefined || trace.getSpan(active) === frame.parentSpan) return active;
  return contextWithSpan(active, frame.parentSpan);
}

/** Upstream's mark on a layer's own path: pushed when it runs, over the paths of its router's earlier layers. */
function enterPath(pipeline: Pipeline, frame: Frame, path: string | undefined): void {
  const paths = pipeline.paths;
  if (path === undefined) {
    if (paths.length !== frame.base) {
      paths.length = frame.base;
      pipeline.routeIsStale = true;
    }
    return;
  }
  if (paths.length === frame.base + 1 && paths[frame.base] === path) return; // the same path again (`app.use` layers all mount `/`)
  paths.length = frame.base;
  paths.push(path);
  pipeline.routeIsStale = true;
}

function keepPaths(pipeline: Pipeline, frame: Frame): void {
  if (pipeline.paths.length > frame.base) frame.base = pipeline.paths.length;
}

/** express passes anything but an empty value, 'route' and 'router' on as an error; so does upstream's span. */
function isLayerError(value: unknown): boolean {
  return value !== undefined && value !== null && value !== 'route' && value !== 'router';
}

function endOpenSpan(frame: Frame, error: unknown): void {
  const span = frame.open;
  if (span === undefined) return;
  frame.open = undefined;
  if (isLayerError(error)) {
    const [exception, message] = safeAsErrorAndMessage(error);
    span.recordException(exception);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  if (span instanceof DeferredLayerSpan) span.finish();
  else span.end();
}

/** The response closed: every layer still open ends (upstream's `res.once('close')`). */
function endLayerSpansOnClose(this: PipelineResponse): void {
  const pipeline = this[kPipeline];
  if (pipeline === undefined) return;
  for (let i = pipeline.frames.length - 1; i >= 0; i--) endOpenSpan(pipeline.frames[i], undefined);
}
