/**
 * The listeners of a traced request and of its response run in the request's context, whoever emits
 * the event: a body parser's `req.on('data' | 'end')` callback is where the app's route handler
 * runs next, and it must see the request's span.
 *
 * Why not `context.bind(ctx, emitter)` (what upstream's instrumentation-http does): for an event
 * emitter, context-async-hooks replaces seven methods (on, addListener, once, prependListener, ...)
 * on the instance, with seven closures and a listener map per request and per response, and every
 * listener added afterwards gets a bound wrapper. Those own properties give every request and
 * response a hidden class of their own making, so express, the router and Node read their fields
 * through slower paths, and the allocations are a good part of the agent's garbage per request.
 *
 * Instead `emit` is patched once, on `http.IncomingMessage.prototype` and
 * `http.ServerResponse.prototype` (https uses the same classes): an emitter that the http server
 * instrumentation marked with a context (one symbol property) emits in that context; any other
 * emitter (an outgoing request's response, a request the agent does not trace) is one property read
 * away from the original emit. Seen from a listener this is what the bind gave: every listener runs
 * in the request's context (also the few Node adds before the request is emitted, which ran there
 * anyway: their events come from writes the app started in that context); `removeListener`,
 * `listeners()`, `rawListeners()` and `once` are Node's own, untouched.
 */
import { context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';

const EMIT_CONTEXT = Symbol('otel-agent.emitContext');
const PATCHED_EMIT = Symbol('otel-agent.patchedEmit');

type Emit = (this: object, event: string | symbol, ...args: unknown[]) => boolean;
/** `_events`: EventEmitter's own listener table (null-prototype object, one entry per event with listeners). */
type ContextEmitter = { [EMIT_CONTEXT]?: Context; _events?: Record<string | symbol, unknown> };
type PatchedEmit = Emit & { [PATCHED_EMIT]?: { ownBefore: Emit | undefined; enumerable: boolean } };

/** From now on the emitter's listeners run in `ctx` (an emitter whose prototype is patched). */
export function emitInContext(emitter: object, ctx: Context): void {
  (emitter as ContextEmitter)[EMIT_CONTEXT] = ctx;
}

/** The context an emitter's listeners run in, if any (tests and diagnostics). */
export function emitContextOf(emitter: object): Context | undefined {
  return (emitter as ContextEmitter)[EMIT_CONTEXT];
}

/**
 * Patches `prototype.emit` (idempotent). The emit called underneath is looked up at each call (the
 * prototype's own one if it had one, else the inherited one), so a tool that wraps
 * `EventEmitter.prototype.emit` later is still called.
 */
export function patchEmitContext(prototype: { emit: Emit }): void {
  if (isPatched(prototype.emit)) return;
  const ownBefore = Object.prototype.hasOwnProperty.call(prototype, 'emit') ? prototype.emit : undefined;
  const parent = Object.getPrototypeOf(prototype) as { emit: Emit };
  const emitInBoundContext: PatchedEmit = function emit(this: ContextEmitter, event: string | symbol) {
    const original = ownBefore ?? parent.emit;
    const bound = this[EMIT_CONTEXT];
    // An event nobody listens to runs no listener: no context to enter (most of a response's events).
    // An unheard 'error' throws from the emitting context, as it did with context.bind.
    if (bound === undefined || this._events?.[event] === undefined || context.active() === bound) return Reflect.apply(original, this, arguments) as boolean;
    // No thisArg: context.with would allocate a bound function for it.
    return context.with(bound, Reflect.apply, undefined, original, this, arguments) as boolean;
  };
  // Enumerable as the emit it shadows (EventEmitter's is): `for (key in req)` lists the same keys.
  const enumerable = descriptorInChain(prototype, 'emit')?.enumerable ?? false;
  Object.defineProperty(emitInBoundContext, PATCHED_EMIT, { value: { ownBefore, enumerable } });
  Object.defineProperty(prototype, 'emit', { value: emitInBoundContext, writable: true, configurable: true, enumerable });
}

/** Undoes patchEmitContext when the prototype's emit is still ours (a later tool's wrapper stays). */
export function unpatchEmitContext(prototype: { emit: Emit }): void {
  const current = prototype.emit as PatchedEmit;
  if (!Object.prototype.hasOwnProperty.call(prototype, 'emit') || !isPatched(current)) return;
  const { ownBefore, enumerable } = current[PATCHED_EMIT]!;
  if (ownBefore === undefined) delete (prototype as { emit?: Emit }).emit;
  else Object.defineProperty(prototype, 'emit', { value: ownBefore, writable: true, configurable: true, enumerable });
}

function descriptorInChain(object: object | null, key: string): PropertyDescriptor | undefined {
  for (let o = object; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(o, key);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

function isPatched(emit: unknown): boolean {
  return typeof emit === 'function' && (emit as PatchedEmit)[PATCHED_EMIT] !== undefined;
}
