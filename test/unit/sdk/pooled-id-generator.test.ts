/**
 * PooledIdGenerator gives ids of the form sdk-trace's RandomIdGenerator gives (the SDK and the W3C
 * propagator accept them), random, never the invalid all-zero id, across pool refills.
 */
import { expect } from 'chai';
import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace';
import { PooledIdGenerator } from '../../../src/sdk/pooled-id-generator';

describe('sdk: pooled id generator', () => {
  it('trace and span ids have the shape of RandomIdGenerator ids, and the API accepts them', () => {
    const pooled = new PooledIdGenerator();
    const upstream = new RandomIdGenerator();
    const shape = (id: string) => ({ length: id.length, hex: /^[0-9a-f]+$/.test(id) });
    for (let i = 0; i < 1000; i++) {
      const [traceId, spanId] = [pooled.generateTraceId(), pooled.generateSpanId()];
      expect(shape(traceId)).to.deep.equal(shape(upstream.generateTraceId()));
      expect(shape(spanId)).to.deep.equal(shape(upstream.generateSpanId()));
      expect(isValidTraceId(traceId), traceId).to.equal(true);
      expect(isValidSpanId(spanId), spanId).to.equal(true);
    }
  });

  it('ids are unique and every hex digit appears in every position, across many pool refills', () => {
    const pooled = new PooledIdGenerator();
    const seen = new Set<string>();
    const digitsAt = Array.from({ length: 32 }, () => new Set<string>());
    // 20 000 trace ids and 20 000 span ids: ~470 refills of the 4 KiB pool, interleaved sizes.
    for (let i = 0; i < 20_000; i++) {
      const traceId = pooled.generateTraceId();
      const spanId = pooled.generateSpanId();
      seen.add(traceId).add(spanId);
      for (let p = 0; p < 32; p++) digitsAt[p].add(traceId[p]);
    }
    expect(seen.size).to.equal(40_000);
    for (const digits of digitsAt) expect(digits.size).to.equal(16);
  });

  it('never hands out the all-zero (invalid) id: the next id is taken instead', () => {
    // The module object itself (an `import *` namespace is read-only): the generator reads it at each call.
    const crypto = require('crypto') as { randomFillSync: (buffer: Buffer) => Buffer };
    const zeros = Buffer.alloc(4096);
    const original = crypto.randomFillSync;
    let fills = 0;
    // The first pool is all zeros, the next ones random: the generator must skip the whole first pool.
    crypto.randomFillSync = (buffer: Buffer) => {
      fills++;
      if (fills === 1) zeros.copy(buffer);
      else original(buffer);
      return buffer;
    };
    try {
      const pooled = new PooledIdGenerator();
      const spanId = pooled.generateSpanId();
      expect(isValidSpanId(spanId), spanId).to.equal(true);
      expect(fills).to.equal(2);
    } finally {
      crypto.randomFillSync = original;
    }
  });
});
