import * as zlib from 'node:zlib';
import type { ReceivedSpan, Receiver, ReceiverBehaviour, ReceiverProtocol } from './types';

interface Waiter {
  predicate: (spans: ReceivedSpan[]) => boolean;
  resolve: (spans: ReceivedSpan[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export const DEFAULT_WAIT_MS = 5000;

/** Shared bookkeeping for all receivers: storage, behaviour, waiters, timers. */
export abstract class BaseReceiver implements Receiver {
  abstract readonly protocol: ReceiverProtocol;
  abstract readonly port: number;
  abstract readonly url: string;

  readonly spans: ReceivedSpan[] = [];
  readonly rawPayloads: Buffer[] = [];
  readonly requestHeaders: Record<string, string | string[]>[] = [];
  readonly decodeErrors: string[] = [];
  readonly tlsErrors: string[] = [];
  protected _rejected = 0;
  protected behaviour: ReceiverBehaviour = 'ok';
  protected closed = false;
  private waiters = new Set<Waiter>();
  private timers = new Set<NodeJS.Timeout>();

  get rejectedRequests(): number {
    return this._rejected;
  }

  setBehaviour(b: ReceiverBehaviour): void {
    if (typeof b === 'object') {
      if (!(typeof b.slowMs === 'number' && b.slowMs >= 0)) throw new TypeError('setBehaviour: slowMs must be a number >= 0');
      this.behaviour = { slowMs: b.slowMs };
    } else if (b === 'ok' || b === 'unavailable' || b === 'hang') {
      this.behaviour = b;
    } else {
      throw new TypeError(`setBehaviour: unknown behaviour ${String(b)}`);
    }
  }

  reset(): void {
    this.spans.length = 0;
    this.rawPayloads.length = 0;
    this.requestHeaders.length = 0;
    this.decodeErrors.length = 0;
    this.tlsErrors.length = 0;
    this._rejected = 0;
  }

  waitForSpans(countOrPredicate: number | ((spans: ReceivedSpan[]) => boolean), timeoutMs = DEFAULT_WAIT_MS): Promise<ReceivedSpan[]> {
    const predicate = typeof countOrPredicate === 'number' ? (s: ReceivedSpan[]) => s.length >= countOrPredicate : countOrPredicate;
    const wanted = typeof countOrPredicate === 'number' ? `${countOrPredicate} span(s)` : 'the predicate';
    if (predicate(this.spans)) return Promise.resolve(this.spans.slice());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(this.describeTimeout(wanted, timeoutMs)));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private describeTimeout(wanted: string, timeoutMs: number): string {
    const names = this.spans.map((s) => `${s.name} [${s.kind}]`);
    const extra: string[] = [];
    if (this.rawPayloads.length) extra.push(`${this.rawPayloads.length} payload(s)`);
    if (this._rejected) extra.push(`${this._rejected} rejected request(s) (behaviour 'unavailable')`);
    if (this.decodeErrors.length) extra.push(`decode errors: ${this.decodeErrors.join('; ')}`);
    if (this.tlsErrors.length) extra.push(`TLS handshake errors: ${this.tlsErrors.join('; ')}`);
    return (
      `${this.protocol} receiver: timed out after ${timeoutMs} ms waiting for ${wanted}; ` +
      // The first 40 names are enough to diagnose; thousands would drown the test report.
      `received ${this.spans.length} span(s)${names.length ? `: ${names.slice(0, 40).join(', ')}${names.length > 40 ? ', …' : ''}` : ''}` +
      (extra.length ? ` (${extra.join(', ')})` : '')
    );
  }

  /** Stores one accepted export and wakes waiters. */
  protected record(raw: Buffer, headers: Record<string, string | string[]> | undefined, decode: () => ReceivedSpan[]): boolean {
    this.rawPayloads.push(raw);
    if (headers) this.requestHeaders.push(headers);
    let decoded: ReceivedSpan[];
    try {
      decoded = decode();
    } catch (err) {
      this.decodeErrors.push(err instanceof Error ? err.message : String(err));
      return false;
    }
    this.spans.push(...decoded);
    for (const w of [...this.waiters]) {
      let done: boolean;
      try {
        done = w.predicate(this.spans);
      } catch (err) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.reject(err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (done) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(this.spans.slice());
      }
    }
    return true;
  }

  /** setTimeout that close() cancels. */
  protected later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Cancels timers and fails pending waiters; subclasses stop their sockets. */
  protected shutdownCommon(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`${this.protocol} receiver closed while waiting for spans (received ${this.spans.length})`));
    }
    this.waiters.clear();
  }

  abstract close(): Promise<void>;
}

/** Decodes a request body according to its content-encoding (gzip, deflate, br, identity). */
export function decodeContentEncoding(body: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (!enc || enc === 'identity') return body;
  if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(body);
  if (enc === 'deflate') return zlib.inflateSync(body);
  if (enc === 'br') return zlib.brotliDecompressSync(body);
  throw new Error(`unsupported content-encoding ${enc}`);
}

/** Copies node:http IncomingHttpHeaders into a plain record without undefined values. */
export function plainHeaders(h: NodeJS.Dict<string | string[]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v;
  return out;
}
