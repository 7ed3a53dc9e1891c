/**
 * What the agent's two express hooks (instrumentations/express/instrumentation.ts and
 * patches/express-errors.ts) need to wrap express's methods the same way: where the router's
 * `handle` lives in each major version, a call of `handle` with its `out` replaced, and a wrap that
 * stacks on another one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- express's methods take and return anything
export type AnyFunction = (this: any, ...args: any[]) => any;
export type MethodHolder = Record<string, unknown>;

/** router 2 exports a class (`Router.prototype.handle`); express 4's router exports the prototype object itself. */
export function routerHandleHolder(exports: unknown): MethodHolder | undefined {
  const candidate = exports as { prototype?: MethodHolder; handle?: unknown } | undefined;
  if (typeof candidate?.prototype?.handle === 'function') return candidate.prototype;
  if (typeof candidate?.handle === 'function') return candidate;
  return undefined;
}

/**
 * Calls a `Router.handle(req, res, out)` with `out` replaced, passing the three arguments as they are
 * (no copy of `arguments` per call) unless the caller passed more.
 */
export function callRouterHandleWithOut(original: AnyFunction, router: unknown, args: IArguments, out: AnyFunction): unknown {
  if (args.length === 3) return original.call(router, args[0], args[1], out);
  const copy = Array.prototype.slice.call(args) as unknown[];
  copy[2] = out;
  return original.apply(router, copy);
}

/**
 * A shimmer-compatible wrap (`__original`, `__unwrap`, `__wrapped`) that leaves the wrapper below in
 * place: InstrumentationBase's `_wrap` would unwrap a method someone else already wrapped.
 */
export function stackWrapper(target: MethodHolder, name: string, makeWrapper: (original: AnyFunction) => AnyFunction): AnyFunction {
  const original = target[name] as AnyFunction;
  const wrapped = makeWrapper(original);
  const define = (object: object, key: string, value: unknown, enumerable = false) =>
    Object.defineProperty(object, key, { configurable: true, writable: true, enumerable, value });
  define(wrapped, '__original', original);
  define(wrapped, '__unwrap', () => {
    if (target[name] === wrapped) define(target, name, original, Object.prototype.propertyIsEnumerable.call(target, name));
  });
  define(wrapped, '__wrapped', true);
  define(target, name, wrapped, Object.prototype.propertyIsEnumerable.call(target, name));
  return wrapped;
}
