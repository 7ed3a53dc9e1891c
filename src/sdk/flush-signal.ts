/**
 * The Int32 slots both threads share over one SharedArrayBuffer, for what must cross while the main
 * thread is blocked in `Atomics.wait` at exit (no message can reach it then): the id of the last
 * synchronous flush the worker completed, the id of the last one that ran out of time, and how many
 * spans the worker dropped so far. The main thread creates it (`FlushSignal.create()`), the worker
 * wraps the same buffer (`new FlushSignal(workerData.flushSignal)`); each side calls only its methods.
 */
const FLUSHED_ID_SLOT = 0;
const DROPPED_SPANS_SLOT = 1;
const TIMED_OUT_ID_SLOT = 2;
const SLOTS = 3;

export class FlushSignal {
  private readonly _slots: Int32Array;

  static create(): FlushSignal {
    return new FlushSignal(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * SLOTS));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this._slots = new Int32Array(buffer);
  }

  // ---- main thread

  /**
   * Blocks until the worker acknowledged flush `id` or `deadline` (Date.now() ms) passed. True when the
   * flush completed in time; false when it timed out on either side.
   */
  waitForFlush(id: number, deadline: number): boolean {
    for (;;) {
      const done = Atomics.load(this._slots, FLUSHED_ID_SLOT);
      if (done >= id) return Atomics.load(this._slots, TIMED_OUT_ID_SLOT) < id;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      Atomics.wait(this._slots, FLUSHED_ID_SLOT, done, remaining);
    }
  }

  /** Spans the worker has dropped so far (failed exports, a full queue, abandoned at a final flush). */
  droppedByWorker(): number {
    return Atomics.load(this._slots, DROPPED_SPANS_SLOT);
  }

  // ---- export worker

  /** Acknowledges synchronous flush `id` and wakes the main thread. */
  acknowledgeFlush(id: number, timedOut: boolean): void {
    if (timedOut) Atomics.store(this._slots, TIMED_OUT_ID_SLOT, id);
    if (Atomics.load(this._slots, FLUSHED_ID_SLOT) < id) Atomics.store(this._slots, FLUSHED_ID_SLOT, id);
    Atomics.notify(this._slots, FLUSHED_ID_SLOT);
  }

  publishDropped(total: number): void {
    Atomics.store(this._slots, DROPPED_SPANS_SLOT, Math.min(total, 0x7fffffff));
  }
}
