/**
 * The recent decisions of keep-by-outcome, by trace id, for spans that end after their local root.
 *
 * Two generations of Maps: decisions go into the current one; when it has held half the window
 * (`memoryMs / 2`) or half the bound (`maxEntries / 2`), it becomes the previous one and the previous
 * one is let go whole. So a decision is known for at least half the window and at least the last
 * `maxEntries / 2` decisions, never longer than the window, and at most `maxEntries` are held.
 *
 * Why not one Map evicted from its oldest entry: that is what this replaced, and it cost ~10 µs per
 * decision in steady state (measured, Node 20 and 24). Deleting a Map's first entries leaves holes
 * that V8 compacts only when the table is rehashed, and every `for..of` looking for the oldest live
 * entry walks all of them; at sample rate 0 every request makes a decision.
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
