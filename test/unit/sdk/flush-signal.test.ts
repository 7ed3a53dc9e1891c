/**
 * The slots both threads share at exit (src/sdk/flush-signal.ts), across a real worker thread: the
 * main thread blocks in Atomics.wait while the worker acknowledges, as in the exit flush.
 */
import { expect } from 'chai';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { FlushSignal } from '../../../src/sdk/flush-signal';

const MODULE = path.join(__dirname, '../../../src/sdk/flush-signal.js');

/** A worker that waits `delayMs`, publishes `dropped` and acknowledges flush `id`. */
function acknowledgeFromWorker(signal: FlushSignal, id: number, options: { delayMs: number; timedOut: boolean; dropped: number }): Worker {
  const worker = new Worker(
    `const { workerData } = require('worker_threads');
     const { FlushSignal } = require(workerData.module);
     const signal = new FlushSignal(workerData.buffer);
     setTimeout(() => { signal.publishDropped(workerData.dropped); signal.acknowledgeFlush(workerData.id, workerData.timedOut); }, workerData.delayMs);`,
    { eval: true, workerData: { module: MODULE, buffer: signal.buffer, id, ...options } },
  );
  worker.unref();
  return worker;
}

describe('FlushSignal (sdk/flush-signal.ts)', () => {
  it('a blocked main thread wakes when the worker acknowledges in time, and reads its dropped count', () => {
    const signal = FlushSignal.create();
    acknowledgeFromWorker(signal, 1, { delayMs: 50, timedOut: false, dropped: 7 });
    expect(signal.waitForFlush(1, Date.now() + 10_000)).to.equal(true);
    expect(signal.droppedByWorker()).to.equal(7);
  });

  it('a flush the worker reports as timed out is not a success', () => {
    const signal = FlushSignal.create();
    acknowledgeFromWorker(signal, 1, { delayMs: 10, timedOut: true, dropped: 3 });
    expect(signal.waitForFlush(1, Date.now() + 10_000)).to.equal(false);
  });

  it('gives up at the deadline when nobody answers', () => {
    const signal = FlushSignal.create();
    const started = Date.now();
    expect(signal.waitForFlush(1, started + 100)).to.equal(false);
    expect(Date.now() - started).to.be.at.least(90);
  });

  it('an older acknowledgement does not satisfy a newer flush, and ids never go backwards', () => {
    const signal = FlushSignal.create();
    signal.acknowledgeFlush(2, false);
    signal.acknowledgeFlush(1, false);
    expect(signal.waitForFlush(2, Date.now() + 10)).to.equal(true);
    expect(signal.waitForFlush(3, Date.now() + 10)).to.equal(false);
  });

  it('caps the dropped count at the slot size', () => {
    const signal = FlushSignal.create();
    signal.publishDropped(2 ** 40);
    expect(signal.droppedByWorker()).to.equal(0x7fffffff);
  });
});
