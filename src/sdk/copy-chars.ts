/**
 * Copies `value`'s chars into `buf` from `at`, one byte each, while each char code is at most
 * `maxCode` (127: ASCII for UTF-8; 255: Latin-1). Returns how many were copied: `value.length` when
 * all were, else the index of the first char past `maxCode` (the bytes written before it are scratch
 * for the caller to overwrite). The short strings of both span encoders (span-codec.ts, the hand-off;
 * otlp-trace-encoder.ts, OTLP) go through here: for them a JS loop is cheaper than a native call.
 * The caller ensures `buf` has `value.length` bytes from `at`.
 */
export function copyCharsUpTo(value: string, buf: Uint8Array, at: number, maxCode: number): number {
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c > maxCode) return i;
    buf[at + i] = c;
  }
  return length;
}
