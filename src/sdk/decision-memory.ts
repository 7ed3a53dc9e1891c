/**
 * The recent decisions of keep-by-outcome, by trace id, for spans that end after their local root:
 * DecisionMemory for the traces it kept, DroppedTraceIds for those it dropped.
 *
 * DecisionMemory keeps two generations of Maps: decisions go into the current one; when it has held
 * half the window (`memoryMs / 2`) or half the bound (`maxEntries / 2`), it becomes the previous one
 * and the previous one is let go whole. So a decision is known for at least half the window and at
 * least the last `maxEntries / 2` decisions, never longer than the window, and at most `maxEntries`
 * are held.
 *
 * Why not one Map evicted from its oldest entry: that is what this replaced, and it cost ~10 µs per
 * decision in steady state (measured, Node 20 and 24). Deleting a Map's first entries leaves holes
 * that V8 compacts only when the table is rehashed, and every `for..of` looking for the oldest live
 * entry walks all of them; at sample rate 0 every request made a decision there.
 */
export class DecisionMemory<V> {
  private _current = new Map<string, V>();
  private _previous = new Map<string, V>();
  private _currentSince: number;
  private _previousSince: number;

  constructor(
    private readonly _memoryMs: number,
    private readonly _maxEntries: number,
    private readonly _now: () => number = Date.now,
  ) {
    this._currentSince = this._previousSince = this._now();
  }

  set(traceId: string, value: V): void {
    const now = this._now();
    if (this._current.size >= this._maxEntries / 2 || now - this._currentSince >= this._memoryMs / 2) {
      this._previous = this._current;
      this._previousSince = this._currentSince;
      this._current = new Map();
      this._currentSince = now;
    }
    this._current.set(traceId, value);
  }

  /** The current generation is read first: a trace decided again (a second local root) has its newer decision. */
  get(traceId: string): V | undefined {
    if (this._current.size === 0 && this._previous.size === 0) return undefined; // nothing kept lately (the usual case): no clock read
    const now = this._now();
    if (now - this._currentSince >= this._memoryMs) return undefined; // both generations are older than the window
    const value = this._current.get(traceId);
    if (value !== undefined || now - this._previousSince >= this._memoryMs) return value;
    return this._previous.get(traceId);
  }

  get size(): number {
    return this._current.size + this._previous.size;
  }
}

/** Slots of DroppedTraceIds (a power of two): 16384, 80 KiB. */
const DROPPED_SLOTS = 1 << 14;

/**
 * The trace ids of recently dropped local traces, as fingerprints in a direct-mapped table (46 bits:
 * the slot and a 32-bit check); a newer id whose fingerprint lands in the same slot takes it over.
 * No Map, no clock: dropping is what nearly every unsampled request does, and a Map entry plus
 * `Date.now()` cost ~2 µs per request under load on Node 24 (perf; a Map of thousands of fresh
 * 32-char keys misses the caches).
 *
 * Forgetting is harmless here: a late child of a forgotten dropped trace waits in keep-by-outcome's
 * bounded pending list, as one of a trace never decided does, and is dropped when it becomes the
 * oldest. A false "dropped" needs two ids to agree in 46 bits. The last few thousand drops are known
 * (a late child comes right after its root: the chance its slot was taken since is about
 * k / DROPPED_SLOTS after k more drops).
 */
export class DroppedTraceIds {
  private readonly _fingerprints = new Uint32Array(DROPPED_SLOTS);
  private readonly _occupied = new Uint8Array(DROPPED_SLOTS);

  add(traceId: string): void {
    const slot = slotOf(traceId);
    this._fingerprints[slot] = fingerprintOf(traceId);
    this._occupied[slot] = 1;
  }

  has(traceId: string): boolean {
    const slot = slotOf(traceId);
    return this._occupied[slot] === 1 && this._fingerprints[slot] === fingerprintOf(traceId);
  }
}

/** FNV-1a over the id's chars (ids are random hex from the SDK, but any string works), two seeds. */
function hashOf(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function slotOf(traceId: string): number {
  return hashOf(traceId, 0x811c9dc5) & (DROPPED_SLOTS - 1);
}

function fingerprintOf(traceId: string): number {
  return hashOf(traceId, 0x9e3779b9);
}
