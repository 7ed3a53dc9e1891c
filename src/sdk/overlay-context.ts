/**
 * Contexts for the per-request hot path that add a value or two over their parent instead of copying it.
 *
 * Why: the API's BaseContext copies its parent's Map on every setValue. A request made ~6 of them (its
 * SERVER span, its RPC metadata, each express layer's span and its router's parent span again):
 * ~1.5 µs and six Maps of garbage per request (a hot loop, Node 20 and 24).
 * What it is: a Context like any other to the API and to every instrumentation (the interface is
 * getValue / setValue / deleteValue; nothing checks for BaseContext). getValue answers as BaseContext
 * would; setValue and deleteValue return new contexts and never change this one
 * (test/unit/sdk/overlay-context.test.ts compares the two over random operation sequences). A chain
 * longer than MAX_DEPTH is copied into the API's own context once, so a lookup never walks far.
 * The keys are the API's and core's own (`Symbol.for` of their descriptions); a self-check at load
 * falls back to the API's calls if a later version changes them.
 */
import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, setRPCMetadata } from '@opentelemetry/core';
import type { RPCMetadata } from '@opentelemetry/core';

/** @opentelemetry/api's SPAN_KEY (src/trace/context-utils.ts) and core's RPC_METADATA_KEY (src/trace/rpc-metadata.ts). */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');
const RPC_METADATA_KEY = createContextKey('OpenTelemetry SDK Context Key RPC_METADATA');
/** Overlays above the nearest other context beyond which the chain is copied into one. */
const MAX_DEPTH = 16;

export class OverlayContext implements Context {
  /** Overlays in this chain, this one included. */
  readonly depth: number;

  constructor(
    private readonly _parent: Context,
    private readonly _key: symbol,
    private readonly _value: unknown,
  ) {
    this.depth = _parent instanceof OverlayContext ? _parent.depth + 1 : 1;
  }

  getValue(key: symbol): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walks up the chain
    let context: Context = this;
    while (context instanceof OverlayContext) {
      if (context._key === key) return context._value;
      context = context._parent;
    }
    return context.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return overlay(this, key, value);
  }

  deleteValue(key: symbol): Context {
    // BaseContext's getValue answers undefined for a deleted key; so does an overlay of undefined.
    return overlay(this, key, undefined);
  }

  /** The same values in the API's own context: the nearest other context with this chain's values set on it, oldest first. */
  flatten(): Context {
    const chain: OverlayContext[] = [];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walks up the chain
    let context: Context = this;
    while (context instanceof OverlayContext) {
      chain.push(context);
      context = context._parent;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const value = chain[i]._value;
      context = value === undefined ? context.deleteValue(chain[i]._key) : context.setValue(chain[i]._key, value);
    }
    return context;
  }
}

function overlay(parent: Context, key: symbol, value: unknown): Context {
  const context = new OverlayContext(parent, key, value);
  return context.depth > MAX_DEPTH ? context.flatten() : context;
}

/** Whether the keys above are the ones the API and core read (checked once, with their own getters). */
function keysMatchUpstream(): boolean {
  try {
    const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
    const rpc: RPCMetadata = { type: RPCType.HTTP, span };
    const ours = overlay(overlay(ROOT_CONTEXT, SPAN_KEY, span), RPC_METADATA_KEY, rpc);
    const theirs = setRPCMetadata(trace.setSpan(ROOT_CONTEXT, span), rpc);
    return trace.getSpan(ours) === span && getRPCMetadata(ours) === rpc && theirs.getValue(SPAN_KEY) === span && theirs.getValue(RPC_METADATA_KEY) === rpc;
  } catch {
    return false;
  }
}

const KEYS_MATCH = keysMatchUpstream();

/** trace.setSpan(parent, span), without copying the parent. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return KEYS_MATCH ? overlay(parent, SPAN_KEY, span) : trace.setSpan(parent, span);
}

/** setRPCMetadata(trace.setSpan(parent, span), rpc), without copying the parent. */
export function contextWithSpanAndRpc(parent: Context, span: Span, rpc: RPCMetadata): Context {
  return KEYS_MATCH ? overlay(overlay(parent, SPAN_KEY, span), RPC_METADATA_KEY, rpc) : setRPCMetadata(trace.setSpan(parent, span), rpc);
}
