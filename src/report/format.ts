/**
 * Numbers and times as both report renderers (render-text.ts, html.ts) show them, so the text and the
 * HTML report never disagree on a value: durations with as many decimals as are worth reading, error
 * rates as percentages, span times from Unix nanoseconds.
 */

/** 1234 -> "1234", 12.345 -> "12.3", 1.2345 -> "1.23": three significant digits or more. */
export function msDigits(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** A rate (0..1) as a percentage; rates under 0.1% keep two decimals so they do not read as 0.0%. */
export function formatPercent(rate: number): string {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.001 ? 2 : 1)}%`;
}

/** A decimal string of Unix nanoseconds as an exact BigInt, or undefined for anything else (span files are input). */
export function parseUnixNano(unixNano: string): bigint | undefined {
  return /^\d{1,30}$/.test(unixNano) ? BigInt(unixNano) : undefined;
}

/** The Date of a decimal string of Unix nanoseconds, or undefined for garbage or zero. */
export function dateOfUnixNano(unixNano: string): Date | undefined {
  const nanos = parseUnixNano(unixNano);
  if (nanos === undefined) return undefined;
  const ms = Number(nanos / 1_000_000n);
  if (!(ms > 0)) return undefined;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
