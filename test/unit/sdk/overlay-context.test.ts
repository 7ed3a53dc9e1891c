/**
 * OverlayContext answers every getValue as the API's BaseContext does, over random sequences of
 * setValue / deleteValue from shared parents (the chains a request builds, and longer ones than
 * MAX_DEPTH); and the helpers give what trace.setSpan / setRPCMetadata give.
 */
import { expect } from 'chai';
import { createContextKey, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { getRPCMetadata, isTracingSuppressed, RPCType, suppressTracing } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { contextWithSpan, contextWithSpanAndRpc, OverlayContext } from '../../../src/sdk/overlay-context';

const SPAN = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 });
const OTHER_SPAN = trace.wrapSpanContext({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 });

/** A small deterministic generator (the same sequences in every run). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return state / 2 ** 32;
  };
}

describe('sdk: overlay contexts', () => {
  it('give the same value for every key as BaseContext, over 1000 random operation sequences', () => {
    const keys = [createContextKey('OpenTelemetry Context Key SPAN'), createContextKey('k1'), createContextKey('k2'), Symbol('private'), Symbol('other')];
    const values = [undefined, null, 0, '', 'v', SPAN, { a: 1 }];
    for (let seed = 1; seed <= 1000; seed++) {
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
      // Pairs of (ours, theirs) built by the same operations; later steps branch from any earlier pair.
      const pairs: Array<[Context, Context]> = [[ROOT_CONTEXT, ROOT_CONTEXT]];
      const steps = 1 + Math.floor(next() * 40); // up to 40: past MAX_DEPTH (16), so chains get flattened
      for (let step = 0; step < steps; step++) {
        const [ours, theirs] = next() < 0.8 ? pairs[pairs.length - 1] : pick(pairs);
        const key = pick(keys);
        const start = ours === ROOT_CONTEXT ? new OverlayContext(ROOT_CONTEXT, key, pick(values)) : undefined;
        let pair: [Context, Context];
        if (start !== undefined) pair = [start, ROOT_CONTEXT.setValue(key, start.getValue(key))];
        else if (next() < 0.25) pair = [ours.deleteValue(key), theirs.deleteValue(key)];
        else {
          const value = pick(values);
          pair = [ours.setValue(key, value), theirs.setValue(key, value)];
        }
        pairs.push(pair);
        for (const k of keys) expect(pair[0].getValue(k), `seed ${seed} step ${step}`).to.equal(pair[1].getValue(k));
      }
      // Every earlier context still answers as before (nothing was changed in place).
      for (const [o, t] of pairs) for (const k of keys) expect(o.getValue(k), `seed ${seed} at the end`).to.equal(t.getValue(k));
    }
  });

  it('a context is never changed by setValue or deleteValue on it or on its children', () => {
    const key = createContextKey('k');
    const parent = new OverlayContext(ROOT_CONTEXT, key, 'parent');
    const child = parent.setValue(key, 'child');
    child.deleteValue(key);
    parent.deleteValue(key);
    expect([parent.getValue(key), child.getValue(key)]).to.deep.equal(['parent', 'child']);
  });

  it("contextWithSpan and contextWithSpanAndRpc give what the API's and core's setters give, and keep the parent's values", () => {
    const key = createContextKey('app');
    const parent = suppressTracing(ROOT_CONTEXT.setValue(key, 'baggage-ish'));
    const rpc = { type: RPCType.HTTP as const, span: SPAN };
    const ours = contextWithSpanAndRpc(parent, SPAN, rpc);
    expect(trace.getSpan(ours)).to.equal(SPAN);
    expect(getRPCMetadata(ours)).to.equal(rpc);
    expect(isTracingSuppressed(ours)).to.equal(true);
    expect(ours.getValue(key)).to.equal('baggage-ish');
    const layer = contextWithSpan(ours, OTHER_SPAN);
    expect(trace.getSpan(layer)).to.equal(OTHER_SPAN);
    expect(getRPCMetadata(layer)).to.equal(rpc);
    expect(trace.getSpan(trace.deleteSpan(layer))).to.equal(undefined);
    expect(propagation.getBaggage(layer)).to.equal(undefined);
  });

  it('works as the active context of the AsyncLocalStorage context manager, across an await', async () => {
    // The manager itself, not the global API: other unit tests own the global one.
    const manager = new AsyncLocalStorageContextManager().enable();
    try {
      const ours = contextWithSpan(ROOT_CONTEXT, SPAN);
      const seen = await manager.with(ours, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return trace.getSpan(manager.active());
      });
      expect(seen).to.equal(SPAN);
    } finally {
      manager.disable();
    }
  });
});
