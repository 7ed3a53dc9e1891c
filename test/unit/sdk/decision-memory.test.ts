/**
 * DecisionMemory: how long and how many of keep-by-outcome's decisions stay known, on a fake clock;
 * DroppedTraceIds: what its forgetful table of dropped traces knows.
 */
import { expect } from 'chai';
import { DecisionMemory, DroppedTraceIds } from '../../../src/sdk/decision-memory';

function memory(memoryMs: number, maxEntries: number) {
  const clock = { now: 1_000_000 };
  return { clock, decisions: new DecisionMemory<string>(memoryMs, maxEntries, () => clock.now) };
}

describe('sdk: DecisionMemory', () => {
  it('knows a decision for at least half the window and forgets it by the end of the window', () => {
    const { clock, decisions } = memory(60_000, 10_000);
    decisions.set('a', 'dropped');
    clock.now += 29_999;
    expect(decisions.get('a')).to.equal('dropped');
    decisions.set('b', 'error'); // still the same generation
    clock.now += 1; // 'a' is 30 s old: the next decision starts a new generation, 'a' and 'b' are in the previous one
    decisions.set('c', 'slow');
    expect([decisions.get('a'), decisions.get('b'), decisions.get('c')]).to.deep.equal(['dropped', 'error', 'slow']);
    clock.now += 29_999; // 'a' is 59.999 s old
    expect(decisions.get('a')).to.equal('dropped');
    clock.now += 1; // 60 s: the previous generation started a window ago, all of it goes ('b' was 30 s old)
    expect([decisions.get('a'), decisions.get('b'), decisions.get('c')]).to.deep.equal([undefined, undefined, 'slow']);
    clock.now += 30_000; // 'c' is 60 s old and nothing was decided since
    expect(decisions.get('c')).to.equal(undefined);
  });

  it('knows at least the last maxEntries / 2 decisions and holds at most maxEntries', () => {
    const { decisions } = memory(60_000, 100);
    let largest = 0;
    for (let i = 0; i < 1000; i++) {
      decisions.set(`t${i}`, i % 7 === 0 ? 'error' : 'dropped');
      largest = Math.max(largest, decisions.size);
      for (let back = 0; back < 50 && back <= i; back++) {
        const id = i - back;
        expect(decisions.get(`t${id}`), `t${id} after t${i}`).to.equal(id % 7 === 0 ? 'error' : 'dropped');
      }
    }
    expect(largest).to.equal(100);
    expect(decisions.get('t0')).to.equal(undefined);
  });

  it('a trace decided again keeps its newer decision', () => {
    const { decisions } = memory(60_000, 4);
    decisions.set('a', 'dropped');
    decisions.set('b', 'dropped'); // the generation is full at 2
    decisions.set('a', 'error'); // a new generation: 'a' is in both
    expect(decisions.get('a')).to.equal('error');
    decisions.set('c', 'dropped');
    decisions.set('d', 'dropped'); // 'a' and 'c' become the previous generation
    expect(decisions.get('a')).to.equal('error');
  });

  /** Deterministic random-looking trace ids (xorshift), as the SDK's generator makes them. */
  function traceIds(count: number, seed: number): string[] {
    let x = seed;
    const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0).toString(16).padStart(8, '0'));
    return Array.from({ length: count }, () => next() + next() + next() + next());
  }

  it('DroppedTraceIds: knows the recent drops, takes no id for one it was not given', () => {
    const dropped = new DroppedTraceIds();
    const ids = traceIds(20_000, 42);
    const others = traceIds(100_000, 7);
    let forgotten = 0;
    ids.forEach((id, i) => {
      dropped.add(id);
      expect(dropped.has(id), id).to.equal(true);
      if (i >= 10 && !dropped.has(ids[i - 10])) forgotten++; // a late child comes a few requests after its root
    });
    expect(forgotten).to.be.below(40); // ~10 / 16384 of 20,000
    expect(others.filter((id) => dropped.has(id))).to.deep.equal([]);
    expect(['', 'not hex at all', ids[0].toUpperCase()].filter((id) => dropped.has(id))).to.deep.equal([]);
  });
});
