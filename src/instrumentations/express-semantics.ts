/**
 * Upstream's express instrumentation, without changing what express and the app observe.
 *
 * 1. `next` identity. instrumentation-express hands each layer its own wrapper of `next` (to end the
 *    layer's span), while the router keeps `req.next` pointing at its own `next`
 *    (express 4 lib/router/index.js `req.next = next`, router 2 index.js likewise). So under upstream
 *    `next !== req.next` inside every middleware, and express's own helpers that call `req.next`
 *    (res.format's default and 406 paths, res.sendFile/res.download/res.render errors) bypass the
 *    wrapper: the layer's span and its route bookkeeping never see that call. We put a shim between
 *    upstream's wrapper and the app's function that sets `req.next` to the `next` the layer receives,
 *    so that both are the same function again, as without the agent, and express's helpers go through
 *    upstream's bookkeeping. The shim keeps the function's `length` (express tells error handlers by
 *    it) and proxies its properties, as upstream's own wrapper does.
 * 2. Hostile errors. Upstream records a layer's error with `asErrorAndMessage(error)`, which reads
 *    `error.message` (and the SDK's recordException reads name, message, stack, code) inside its catch
 *    and inside the wrapped `next`: a throwing getter or proxy trap replaced the app's error with the
 *    getter's, so an app that crashes without the agent answered 500 under it. We replace that helper
 *    (a module export upstream calls through its exports object) with one that returns exactly
 *    upstream's result for ordinary values and a plain, safely read copy for hostile ones.
 *    (@opentelemetry/instrumentation-express build/src/utils.js `asErrorAndMessage`.)
 */
import { exceptionMessageOf, exceptionTypeOf, safeString } from '../errors/record-exception';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
interface Layer {
  handle?: unknown;
}
type ApplyPatch = (this: unknown, layer: Layer, layerPath?: string) => void;

const kNextAligned = Symbol('otel-agent.expressNextAligned');

/** A request handler (not an error handler: those take 4 arguments) that sees `req.next === next`. */
function alignRequestNext(original: AnyFunction): AnyFunction {
  const aligned = function alignedHandle(this: unknown, req: unknown) {
    const next = arguments[arguments.length - 1];
    if (typeof next === 'function' && typeof req === 'object' && req !== null && typeof (req as { next?: unknown }).next === 'function') {
      (req as { next: unknown }).next = next;
    }
    return Reflect.apply(original, this, arguments);
  };
  Object.defineProperty(aligned, 'length', { value: original.length });
  // `handle` can carry state (a router's stack, a sub-app's settings): read and write it through.
  for (const key in original) {
    Object.defineProperty(aligned, key, {
      get: () => (original as unknown as Record<string, unknown>)[key],
      set: (value) => ((original as unknown as Record<string, unknown>)[key] = value),
    });
  }
  return aligned;
}

/** Wraps each layer's handle in the `next`-aligning shim before upstream wraps it (its `_applyPatch`). */
export function keepNextIdentity(instrumentation: object): void {
  const target = instrumentation as { _applyPatch?: ApplyPatch };
  const upstreamApplyPatch = target._applyPatch;
  if (typeof upstreamApplyPatch !== 'function') throw new Error('instrumentation-express has no _applyPatch');
  // Upstream's mark on a layer it wrapped (build/src/internal-types.js); required here, not at module
  // load, so that an app without express loads nothing of instrumentation-express.
  const { kLayerPatched } = require('@opentelemetry/instrumentation-express/build/src/internal-types') as { kLayerPatched: symbol };
  target._applyPatch = function applyPatch(this: unknown, layer: Layer, layerPath?: string) {
    const handle = layer?.handle;
    const marks = layer as Record<symbol, unknown>;
    // Not under a wrapper upstream already installed (its own guard returns for those).
    if (typeof handle === 'function' && handle.length < 4 && !marks[kNextAligned] && marks[kLayerPatched] !== true) {
      marks[kNextAligned] = true;
      layer.handle = alignRequestNext(handle as AnyFunction);
    }
    return upstreamApplyPatch.call(this, layer, layerPath);
  };
}

/** Whether upstream's own reads (and the SDK's recordException) of this value would all succeed. */
function readsSafely(error: Error): boolean {
  try {
    void error.message;
    void error.name;
    void error.stack;
    void (error as { code?: unknown }).code;
    return true;
  } catch {
    return false;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a proxy whose getPrototypeOf trap throws
  }
}

/** upstream's `asErrorAndMessage`, for values whose reads throw too. */
export function safeAsErrorAndMessage(error: unknown): [Error | string, string] {
  if (isError(error)) {
    if (readsSafely(error)) return [error, error.message];
    const message = exceptionMessageOf(error);
    return [{ name: exceptionTypeOf(error), message } as Error, message];
  }
  const text = safeString(error);
  return [text, text];
}

export function makeLayerErrorReadsSafe(): void {
  const utils = require('@opentelemetry/instrumentation-express/build/src/utils') as { asErrorAndMessage?: unknown };
  if (typeof utils.asErrorAndMessage !== 'function') throw new Error('instrumentation-express has no asErrorAndMessage');
  if (utils.asErrorAndMessage === safeAsErrorAndMessage) return;
  utils.asErrorAndMessage = safeAsErrorAndMessage;
}
